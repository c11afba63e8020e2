/**
 * Creating a key and recording it in its secret, shared by the custom resource handler and the rotation handler:
 * the only moments a secret access key exists outside Secrets Manager.
 */
import { CREATING_STAGE_PREFIX } from '../../lib/contract';
import * as aws from './aws';
import { describeKey, hasFreeSlot, noFreeSlotMessage, serializeKeySecret } from './key-secret';
import { describeError } from './log';
import { keyRecord } from './s3-location';

/** An error whose message is already written for the person deploying: reported as is, without a type name. */
export class KeyError extends Error {}

/**
 * Time an invocation keeps after starting a key creation: to record the key (or delete it again) and answer.
 * Lightsail returns a key's secret only in the answer to its creation, so a key created just before the Lambda
 * timeout could be frozen, with its secret, before it was recorded.
 */
const KEY_CREATION_RESERVE_MS = 45_000;

/** What creating a key needs from the invocation it runs in. */
export interface KeyCreationContext {
  readonly region: string;
  /** Epoch milliseconds after which no key creation starts (see keyCreationDeadline). */
  readonly deadline: number;
}

/** Until when an invocation may start creating a key: KEY_CREATION_RESERVE_MS before its Lambda timeout. */
export function keyCreationDeadline(
  context: { getRemainingTimeInMillis?: () => number } | undefined,
  now = Date.now(),
): number {
  const remaining = context?.getRemainingTimeInMillis?.();
  return remaining === undefined ? Number.POSITIVE_INFINITY : now + remaining - KEY_CREATION_RESERVE_MS;
}

/**
 * Creates a key and writes it into the secret with the given token and stages. If the write fails, the key is
 * deleted again before the error is thrown: a key is never left unrecorded by choice. Once the key is recorded, waits
 * for Lightsail's operation that creates it to be terminal: a key whose creation failed is deleted (if it exists at
 * all), and the error says so. `settledLate`: the operation was not terminal when Lightsail answered, so a closer that
 * ran meanwhile may have found no key to delete; the caller checks its lineage is still open (lineage.ts).
 */
export async function createAndRecord(
  secretArn: string,
  bucketName: string,
  token: string,
  keysBefore: readonly aws.BucketKeyInfo[],
  /** `endpoint`: the bucket's URL as Lightsail reports it (see s3-location.ts for what the record holds). */
  where: KeyCreationContext & { endpoint: () => Promise<string> },
  versionStages: string[],
): Promise<{ accessKeyId: string; settledLate: boolean }> {
  const [created, endpoint] = await Promise.allSettled([
    createKeyOrExplain(bucketName, secretArn, keysBefore, where.deadline),
    where.endpoint(),
  ]);
  if (created.status === 'rejected') throw created.reason;
  const { accessKeyId, operation } = created.value;
  const key = { bucketName, accessKeyId, operation };
  if (endpoint.status === 'rejected') return deleteNewKey(key, endpoint.reason, where.deadline);
  const value = keyRecord(created.value, bucketName, where.region, endpoint.value);
  // A key Lightsail has not finished creating is recorded with the operation's id (lineage.ts): whoever finds it
  // missing, or comes to delete it, waits for the operation first.
  const creating = operation?.isTerminal === false ? `${CREATING_STAGE_PREFIX}${operation.id}` : undefined;
  try {
    await aws.putSecret(
      secretArn,
      serializeKeySecret(value),
      token,
      creating ? [...versionStages, creating] : versionStages,
    );
  } catch (writeError) {
    await deleteNewKey(key, writeError, where.deadline);
  }
  const { failure } = await aws.awaitOperation(
    operation,
    where.deadline,
    `creating key ${accessKeyId} of bucket "${bucketName}"`,
  );
  if (failure) {
    await aws.deleteKey(bucketName, accessKeyId, where.deadline).catch(() => undefined);
    throw new KeyError(`${failure} The key is recorded in ${secretArn} but does not work; a retry replaces it.`);
  }
  if (creating) await aws.moveStage(secretArn, creating, undefined, token).catch(() => undefined);
  return { accessKeyId, settledLate: creating !== undefined };
}

/** Attempts at CreateBucketAccessKey when Lightsail throttles it or its answer is lost before it took effect. */
const CREATE_ATTEMPTS = 20;

/**
 * Creates a key. Throttling is retried (Lightsail did nothing). A failure that may have taken effect (a server
 * error, a lost answer) is retried only when the bucket shows no new key; otherwise the key was probably created
 * and its secret lost with the answer, and the error says which key that is.
 */
async function createKeyOrExplain(
  bucketName: string,
  secretArn: string,
  keysBefore: readonly aws.BucketKeyInfo[],
  deadline: number,
): Promise<aws.NewBucketKey> {
  for (let attempt = 1; ; attempt++) {
    if (Date.now() > deadline) {
      throw new KeyError(
        `Too little of the handler's time was left to create an access key for bucket "${bucketName}" and record ` +
          'it (AWS was slow or throttling): nothing was created. A retry starts afresh.',
      );
    }
    try {
      return await aws.createKey(bucketName);
    } catch (error) {
      const retry = attempt < CREATE_ATTEMPTS && (await mayRetryCreate(error, bucketName, keysBefore));
      if (!retry) throw await explainCreateFailure(error, bucketName, secretArn, keysBefore);
      await sleep(backoffMs(attempt, aws.isThrottling(error)));
    }
  }
}

async function mayRetryCreate(error: unknown, bucketName: string, keysBefore: readonly aws.BucketKeyInfo[]) {
  if (aws.isThrottling(error)) return true;
  if (!aws.mayHaveTakenEffect(error)) return false;
  const keysNow = await aws.listBucketKeys(bucketName).catch(() => undefined);
  return keysNow !== undefined && newKeys(keysBefore, keysNow).length === 0;
}

async function explainCreateFailure(
  error: unknown,
  bucketName: string,
  secretArn: string,
  keysBefore: readonly aws.BucketKeyInfo[],
): Promise<KeyError> {
  // The limit's error type is not documented: look at the bucket instead of at the error.
  const keysNow = await aws.listBucketKeys(bucketName).catch(() => undefined);
  const appeared = keysNow ? newKeys(keysBefore, keysNow) : [];
  if (aws.mayHaveTakenEffect(error) && appeared.length > 0) {
    return new KeyError(
      `Creating an access key for bucket "${bucketName}" failed without an answer (${describeError(error)}), and ` +
        `the bucket now has a key it did not have before: ${appeared.map(describeKey).join('; ')}. Lightsail ` +
        "returns a key's secret only in that answer, so if the key was created for this deploy it can never be " +
        'used: unless another deploy created it at the same time, delete it (aws lightsail delete-bucket-access-key ' +
        `--bucket-name ${bucketName} --access-key-id <id>) and deploy again.`,
    );
  }
  if (keysNow && !hasFreeSlot(keysNow)) {
    return new KeyError(
      noFreeSlotMessage(
        bucketName,
        keysNow,
        `Another key took the last free slot while this one (secret ${secretArn}) was being created. Nothing was changed.`,
      ),
    );
  }
  return new KeyError(`Could not create an access key for bucket "${bucketName}": ${describeError(error)}`);
}

export function newKeys(before: readonly aws.BucketKeyInfo[], now: readonly aws.BucketKeyInfo[]): aws.BucketKeyInfo[] {
  const known = new Set(before.map((k) => k.accessKeyId));
  return now.filter((k) => !known.has(k.accessKeyId));
}

/**
 * Exponential backoff with full jitter, as the AWS SDKs do: from a 500 ms base after throttling, 100 ms otherwise,
 * up to 20 s. Many keys created at once share Lightsail's per-account rate; 20 attempts wait for minutes.
 */
function backoffMs(attempt: number, throttled: boolean): number {
  return Math.random() * Math.min(20_000, (throttled ? 500 : 100) * 2 ** attempt);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A key whose secret could not be written would be an orphan: delete it, then fail with the write's error. A key whose
 * creation Lightsail has not applied yet cannot be deleted yet (it would appear afterwards): its operation is awaited.
 */
async function deleteNewKey(
  key: { bucketName: string; accessKeyId: string; operation?: aws.NewBucketKey['operation'] },
  writeError: unknown,
  until: number,
): Promise<never> {
  const { bucketName, accessKeyId } = key;
  const why = describeError(writeError);
  try {
    // A creation that failed left no key to delete (the delete finds none).
    await aws.awaitOperation(key.operation, until, `creating key ${accessKeyId}`);
    await aws.deleteKey(bucketName, accessKeyId, until);
  } catch (deleteError) {
    throw new KeyError(
      `Could not store the new access key ${accessKeyId} in its secret (${why}), and deleting it again failed ` +
        `(${describeError(deleteError)}): delete it by hand with aws lightsail delete-bucket-access-key ` +
        `--bucket-name ${bucketName} --access-key-id ${accessKeyId}.`,
    );
  }
  throw new KeyError(`Could not store the new access key in its secret (${why}). The key was deleted again.`);
}
