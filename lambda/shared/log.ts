import { redact } from './redact';

/** A value that may appear in a log line: never an SDK response or a raw event. */
export type LogField = string | number | boolean | undefined | readonly string[];

/** Writes one structured JSON line; every value passes through the redactor. */
export function logLine(level: 'INFO' | 'WARN' | 'ERROR', fields: Record<string, LogField>): void {
  const line = redact(JSON.stringify({ level, ...fields }));
  if (level === 'ERROR') console.error(line);
  else if (level === 'WARN') console.warn(line);
  else console.info(line);
}

/** An error's name and message, for a log line or a failure reason (never its stack or SDK metadata). */
export function describeError(error: unknown): string {
  if (error instanceof Error)
    return redact(error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message);
  return redact(String(error));
}
