/** Lightsail: a bucket's keys and URL, creating and deleting keys, and waiting for Lightsail's operations. */
import {
  CreateBucketAccessKeyCommand,
  DeleteBucketAccessKeyCommand,
  GetBucketAccessKeysCommand,
  GetBucketsCommand,
  GetOperationCommand,
  type Operation,
} from '@aws-sdk/client-lightsail';
import { redactLater } from '../redact';
import { withRetries } from '../retry';
import { keyCreation, lightsail } from './clients';
import { isNotFound } from './errors';

/** A bucket access key as GetBucketAccessKeys describes it: never with its secret. */
export interface BucketKeyInfo {
  readonly accessKeyId: string;
  readonly status?: string;
  readonly createdAt?: Date;
  readonly lastUsedAt?: Date;
}

/** A new key: the only moment its secret exists outside Secrets Manager. */
export interface NewBucketKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Lightsail's operation that creates it: the key works once it is terminal and did not fail. */
  readonly operation?: Operation;
}

export async function listBucketKeys(bucketName: string): Promise<BucketKeyInfo[]> {
  const out = await lightsail().send(new GetBucketAccessKeysCommand({ bucketName }));
  return (out.accessKeys ?? []).map((k) => ({
    accessKeyId: k.accessKeyId ?? '',
    status: k.status,
    createdAt: k.createdAt,
    lastUsedAt: k.lastUsed?.lastUsedDate,
  }));
}

export async function bucketEndpoint(bucketName: string): Promise<string> {
  const out = await lightsail().send(new GetBucketsCommand({ bucketName }));
  const url = out.buckets?.find((b) => b.name === bucketName)?.url;
  if (!url) throw new Error(`Lightsail returned no URL for bucket "${bucketName}".`);
  return url;
}

/** One CreateBucketAccessKey call, never retried here. The caller waits for its operation once the key is recorded. */
export async function createKey(bucketName: string): Promise<NewBucketKey> {
  const out = await keyCreation().send(new CreateBucketAccessKeyCommand({ bucketName }));
  const accessKeyId = out.accessKey?.accessKeyId;
  const secretAccessKey = out.accessKey?.secretAccessKey;
  if (secretAccessKey) redactLater(secretAccessKey);
  if (!accessKeyId || !secretAccessKey) {
    throw new Error(`Lightsail's CreateBucketAccessKey answer for bucket "${bucketName}" held no complete key.`);
  }
  return { accessKeyId, secretAccessKey, operation: out.operations?.[0] };
}

/**
 * Deletes a key and waits until Lightsail's operation is terminal, so that its slot is free; a key or bucket that is
 * already gone counts as deleted. Returns whether it still existed. A deletion whose operation Lightsail failed is
 * tried again (deleting is idempotent), DELETE_ATTEMPTS times in all, then thrown.
 */
export async function deleteKey(bucketName: string, accessKeyId: string, until: number): Promise<boolean> {
  let existed = false;
  await withRetries(
    async () => {
      let operation: Operation | undefined;
      try {
        operation = (await lightsail().send(new DeleteBucketAccessKeyCommand({ bucketName, accessKeyId })))
          .operations?.[0];
      } catch (error) {
        if (isNotFound(error)) return;
        throw error;
      }
      existed = true;
      const { failure } = await awaitOperation(operation, until, `deleting key ${accessKeyId} of "${bucketName}"`);
      if (failure) throw new OperationFailed(failure);
    },
    {
      attempts: DELETE_ATTEMPTS,
      baseMs: OPERATION_POLL_MS,
      capMs: OPERATION_POLL_MAX_MS,
      retryable: isOperationFailed,
    },
  );
  return existed;
}

/** Attempts at a deletion whose operation Lightsail failed. */
const DELETE_ATTEMPTS = 3;

class OperationFailed extends Error {}
const isOperationFailed = (error: unknown) => error instanceof OperationFailed;

async function getOperation(operationId: string | undefined): Promise<Operation | undefined> {
  try {
    return (await lightsail().send(new GetOperationCommand({ operationId }))).operation;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** How often a Lightsail operation's status is polled: from this, doubling, up to OPERATION_POLL_MAX_MS. */
const OPERATION_POLL_MS = 250;
const OPERATION_POLL_MAX_MS = 5_000;

/**
 * Waits until a Lightsail operation is terminal (as terraform-provider-aws does for bucket access keys, by
 * GetOperation), and says whether it failed (with Lightsail's error code and details); throws if it is still running
 * at `until` (epoch milliseconds). Lightsail's key operations may well always be answered terminal; nothing here
 * relies on it. An operation Lightsail no longer knows counts as done.
 */
export async function awaitOperation(
  operation: Operation | string | undefined,
  until: number,
  what: string,
): Promise<{ readonly failure?: string }> {
  let current = typeof operation === 'string' ? await getOperation(operation) : operation;
  for (let wait = OPERATION_POLL_MS; current && !current.isTerminal; wait = Math.min(wait * 2, OPERATION_POLL_MAX_MS)) {
    if (Date.now() + wait > until) {
      throw new Error(`The Lightsail operation ${what} was still ${current.status} when the handler had to stop.`);
    }
    await new Promise((resolve) => setTimeout(resolve, wait));
    current = await getOperation(current.id);
  }
  if (current?.status !== 'Failed') return {};
  const detail = [current.errorCode, current.errorDetails].filter(Boolean).join(': ');
  return { failure: `The Lightsail operation ${what} failed${detail ? ` (${detail})` : ''}.` };
}
