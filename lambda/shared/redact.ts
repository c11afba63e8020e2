/**
 * Defence in depth for the secret access key: every string the handlers send out (log lines, the failure reason
 * in the CloudFormation response) passes through `redact`, which masks any secret this process has seen. The code
 * never puts a secret into such a string on purpose; this catches one that an error message might echo.
 */
const seen = new Set<string>();

export const REDACTED = '[REDACTED]';

/** Remembers a secret so that later output cannot contain it. */
export function redactLater(secret: string): void {
  if (secret.length >= 8) seen.add(secret);
}

/** Remembers the secret access key a key secret's value holds, as it is read (any other value is left alone). */
export function redactSecretsIn(secretString: string | undefined): void {
  if (!secretString) return;
  try {
    const secret = (JSON.parse(secretString) as { secretAccessKey?: unknown } | null)?.secretAccessKey;
    if (typeof secret === 'string') redactLater(secret);
  } catch {
    // Not JSON: no key record, so no secret access key.
  }
}

export function redact(text: string): string {
  let out = text;
  for (const secret of seen) out = out.split(secret).join(REDACTED);
  return out;
}
