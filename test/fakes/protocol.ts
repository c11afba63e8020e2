// Wire details and helpers shared by both fake services (awsJson 1.1).
import { randomInt } from 'node:crypto';

export type ServiceName = 'lightsail' | 'secretsmanager';

export type JsonObject = Record<string, unknown>;

/** An error answer: the HTTP status plus the JSON body the service sends. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: JsonObject,
  ) {
    super(String(body.message ?? body.Message ?? body.__type));
    this.name = String(body.__type);
  }
}

/**
 * Lightsail error body. `__type` is always sent: without it the SDK would name the
 * error after the `code` member instead (e.g. "DoesNotExist").
 */
export function lightsailError(type: string, message: string, opts: { code?: string; status?: number } = {}): ApiError {
  return new ApiError(opts.status ?? 400, {
    __type: type,
    code: opts.code,
    docs: 'https://lightsail.aws.amazon.com/ls/docs',
    message,
    tip: '',
  });
}

/** Secrets Manager error body: note the capital `Message`. */
export function secretsError(type: string, message: string, status = 400): ApiError {
  return new ApiError(status, { __type: type, Message: message });
}

export function serviceError(
  service: ServiceName,
  error: { status: number; type: string; message: string; code?: string },
): ApiError {
  return service === 'lightsail'
    ? lightsailError(error.type, error.message, { code: error.code, status: error.status })
    : secretsError(error.type, error.message, error.status);
}

/** The SDK only accepts timestamps as JSON numbers in epoch seconds; an ISO string makes it throw. */
export function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

export function randomString(alphabet: string, length: number): string {
  return Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join('');
}
