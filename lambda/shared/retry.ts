/**
 * The one retry helper of the handlers, for what the SDK does not retry itself: answering CloudFormation (an HTTPS
 * PUT), creating a key (whose client never retries: see aws/clients.ts), and deleting a key whose operation Lightsail
 * failed. Exponential backoff with full jitter, as the AWS SDKs back off.
 */

export interface RetryOptions {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** The first wait, in milliseconds; it doubles with each attempt, up to `capMs`, and a random part of it is waited. */
  readonly baseMs: number | ((error: unknown) => number);
  readonly capMs: number;
  /** Whether the error may be retried (default: any); an error that may not is thrown at once. */
  readonly retryable?: (error: unknown) => boolean | Promise<boolean>;
  /** Called before each attempt: it throws to stop (a deadline). */
  readonly beforeAttempt?: () => void;
}

export async function withRetries<T>(work: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    options.beforeAttempt?.();
    try {
      return await work(attempt);
    } catch (error) {
      const retry = attempt < options.attempts && (await (options.retryable?.(error) ?? true));
      if (!retry) throw error;
      const base = typeof options.baseMs === 'number' ? options.baseMs : options.baseMs(error);
      await sleep(Math.random() * Math.min(options.capMs, base * 2 ** attempt));
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
