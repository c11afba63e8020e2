/** How the handlers classify the SDK's errors: each a pure function of the error. */

/** Not found, whether typed (NotFoundException, ResourceNotFoundException) or only said ("DoesNotExist"). */
export function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; message?: string; code?: string } | undefined;
  if (!e) return false;
  if (e.name === 'NotFoundException' || e.name === 'ResourceNotFoundException') return true;
  return /DoesNotExist/.test(`${e.name ?? ''} ${e.code ?? ''} ${e.message ?? ''}`);
}

/** Refused for rate: the service did nothing, so the call can be repeated. */
export function isThrottling(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return e?.name === 'ThrottlingException' || e?.$metadata?.httpStatusCode === 429;
}

/**
 * A failure after which the call may or may not have taken effect: a server error, or no HTTP answer at all (a
 * dropped connection, a timeout). A 4xx answer means the service refused the call.
 */
export function mayHaveTakenEffect(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  return status === undefined || status >= 500;
}

/**
 * PutSecretValue's answer when its ClientRequestToken is a version that already holds another value: the token was
 * taken (claimed) first. ResourceExistsException, verified against AWS (moto's aws_verified
 * test_put_different_secret_value_with_same_token).
 */
export function isTokenTaken(error: unknown): boolean {
  return (error as { name?: string } | undefined)?.name === 'ResourceExistsException';
}

/**
 * Secrets Manager could not decrypt a version: the caller may not use its KMS key (AccessDeniedException "Access to
 * KMS is not allowed"), or the key can no longer be used (DecryptionFailure, e.g. a disabled key).
 */
export function isUndecryptable(error: unknown): boolean {
  const e = error as { name?: string; message?: string } | undefined;
  return e?.name === 'DecryptionFailure' || (e?.name === 'AccessDeniedException' && /KMS/.test(e.message ?? ''));
}

/** Secrets Manager's answer for a secret scheduled for deletion. */
export function isMarkedForDeletion(error: unknown): boolean {
  const e = error as { name?: string; message?: string } | undefined;
  return e?.name === 'InvalidRequestException' && /(marked|scheduled) for deletion/i.test(e.message ?? '');
}
