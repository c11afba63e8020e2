/**
 * Creating a key and recording it in its secret, shared by the custom resource handler and the rotation handler:
 * the only moments a secret access key exists outside Secrets Manager.
 */
import { CREATING_STAGE_PREFIX } from '../../lib/contract';
import * as aws from './aws';
import { KeyError, SlotTakenError, explain } from './errors';
import { hasFreeSlot, newKeys, serializeKeySecret } from './key-secret';
import { withRetries } from './retry';
import { keyRecord } from './s3-location';

/** What creating a key needs from the invocation it runs in. */
export interface KeyCreationContext {
  readonly region: string;
  /** Epoch milliseconds after which no key creation starts (budget.ts, keyCreationDeadline). */
  readonly deadline: number;
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
  const stages = creating ? [...versionStages, creating] : versionStages;
  try {
    await aws.putSecret(secretArn, serializeKeySecret(value), token, stages);
  } catch (writeError) {
    await deleteNewKey(key, writeError, where.deadline);
  }
  const { failure } = await aws.awaitOperation(operation, where.deadline, `creating key ${accessKeyId}`);
  if (failure) {
    await aws.deleteKey(bucketName, accessKeyId, where.deadline).catch(() => undefined);
    throw new KeyError(explain.creationFailed(failure, secretArn));
  }
  if (creating) await aws.moveStage(secretArn, creating, undefined, token).catch(() => undefined);
  return { accessKeyId, settledLate: creating !== undefined };
}

/** Attempts at CreateBucketAccessKey when Lightsail throttles it or its answer is lost before it took effect. */
const CREATE_ATTEMPTS = 20;

/**
 * Creates a key. Throttling is retried (Lightsail did nothing), from a 500 ms backoff, up to 20 s: many keys created
 * at once share Lightsail's per-account rate, and 20 attempts wait for minutes. A failure that may have taken effect
 * (a server error, a lost answer) is retried, from 100 ms, only when the bucket shows no new key; otherwise the key
 * was probably created and its secret lost with the answer, and the error says which key that is.
 */
async function createKeyOrExplain(
  bucketName: string,
  secretArn: string,
  keysBefore: readonly aws.BucketKeyInfo[],
  deadline: number,
): Promise<aws.NewBucketKey> {
  try {
    return await withRetries(() => aws.createKey(bucketName), {
      attempts: CREATE_ATTEMPTS,
      baseMs: (error) => (aws.isThrottling(error) ? 500 : 100),
      capMs: 20_000,
      retryable: (error) => mayRetryCreate(error, bucketName, keysBefore),
      beforeAttempt: () => {
        if (Date.now() > deadline) throw new KeyError(explain.tooLateToCreate(bucketName));
      },
    });
  } catch (error) {
    if (error instanceof KeyError) throw error;
    throw await explainCreateFailure(error, bucketName, secretArn, keysBefore);
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
    return new KeyError(explain.keyAppearedWithoutAnswer(bucketName, error, appeared));
  }
  if (keysNow && !hasFreeSlot(keysNow)) {
    return new SlotTakenError(explain.noFreeSlot(bucketName, keysNow, explain.slotTakenMeanwhile(secretArn)));
  }
  return new KeyError(explain.couldNotCreate(bucketName, error));
}

/**
 * A key whose secret could not be written would be an orphan: delete it, then fail with the write's error. A key whose
 * creation Lightsail has not applied yet cannot be deleted yet (it would appear afterwards): its operation is awaited
 * first; a creation that failed left no key to delete (the delete finds none).
 */
async function deleteNewKey(
  key: { bucketName: string; accessKeyId: string; operation?: aws.NewBucketKey['operation'] },
  writeError: unknown,
  until: number,
): Promise<never> {
  const { bucketName, accessKeyId } = key;
  try {
    await aws.awaitOperation(key.operation, until, `creating key ${accessKeyId}`);
    await aws.deleteKey(bucketName, accessKeyId, until);
  } catch (deleteError) {
    throw new KeyError(explain.couldNotStoreNorDelete(bucketName, accessKeyId, writeError, deleteError));
  }
  throw new KeyError(explain.couldNotStore(writeError));
}
