/**
 * Secrets Manager rotation of a key secret, in the four steps of its rotation contract, and the end of the grace
 * period of a rotated-out key. Every step can run again (Secrets Manager retries, Lambda duplicates) with the same
 * effect.
 *
 * A bucket has two key slots. A rotated key lineage holds the current key and, during its grace period, the
 * previous one. So createSecret deletes every key of the secret but the current one (the previous key's grace ends
 * at the next rotation at the latest) before it creates the pending key.
 */
import type { KeySecretValue, RotationStep } from '../../lib/contract';
import * as aws from '../shared/aws';
import { KeyError, type KeyCreationContext, createAndRecord } from '../shared/key-creation';
import { hasFreeSlot, noFreeSlotMessage, parseKeySecret } from '../shared/key-secret';
import { deleteRecordedKeysExcept, recordedKeys } from '../shared/recorded-keys';

export interface StepResult {
  readonly outcome: string;
  readonly accessKeyId?: string;
  readonly deletedKeyIds?: readonly string[];
}

async function currentKey(secretArn: string): Promise<KeySecretValue> {
  const key = parseKeySecret((await aws.readSecretStage(secretArn, 'AWSCURRENT'))?.secretString);
  if (!key) {
    throw new KeyError(`Secret ${secretArn} holds no access key yet: its BucketAccessKey has not been deployed.`);
  }
  return key;
}

export async function runStep(
  step: RotationStep,
  secretArn: string,
  token: string,
  invocation: KeyCreationContext,
): Promise<StepResult> {
  const stages = (await aws.versionStages(secretArn))[token] ?? [];
  if (stages.includes('AWSCURRENT')) return { outcome: 'already-current' };
  switch (step) {
    case 'createSecret':
      return createPending(secretArn, token, invocation);
    case 'setSecret':
      // A Lightsail key works once it exists: there is nothing to set in another system.
      return { outcome: 'nothing-to-set' };
    case 'testSecret':
      return testPending(secretArn, token);
    case 'finishSecret':
      return finish(secretArn, token);
  }
}

/** Creates the pending key, unless this token's pending version exists already. */
async function createPending(secretArn: string, token: string, invocation: KeyCreationContext): Promise<StepResult> {
  const current = await currentKey(secretArn);
  const pending = parseKeySecret((await aws.readSecretVersion(secretArn, token))?.secretString);
  if (pending) return { outcome: 'pending-exists', accessKeyId: pending.accessKeyId };

  const deletedKeyIds = await deleteRecordedKeysExcept(
    await recordedKeys(secretArn),
    (r) => r.key.accessKeyId === current.accessKeyId,
  );
  const keys = await aws.listBucketKeys(current.bucketName);
  if (!hasFreeSlot(keys)) {
    throw new KeyError(
      noFreeSlotMessage(
        current.bucketName,
        keys,
        `Rotating secret ${secretArn} needs a slot for the new key beside the current one; the other key is not ` +
          "this secret's. A rotating BucketAccessKey needs its bucket to itself.",
      ),
    );
  }
  try {
    const accessKeyId = await createAndRecord(
      secretArn,
      current.bucketName,
      token,
      keys,
      {
        region: current.region || invocation.region,
        deadline: invocation.deadline,
        // The bucket's URL: records written before bucketUrl existed hold it as their endpoint.
        endpoint: async () => current.bucketUrl ?? current.endpoint,
      },
      ['AWSPENDING'],
    );
    return { outcome: 'created', accessKeyId, deletedKeyIds };
  } catch (error) {
    // Another delivery of this step may have recorded its key with this token first.
    const winner = parseKeySecret((await aws.readSecretVersion(secretArn, token).catch(() => undefined))?.secretString);
    if (winner) return { outcome: 'pending-exists', accessKeyId: winner.accessKeyId, deletedKeyIds };
    throw error;
  }
}

/**
 * The pending key is live when Lightsail lists it as Active. No S3 request is made with it: that would need an S3
 * client in the function and network access to the bucket, and a new key can take a moment to work everywhere,
 * which would fail rotations for no fault of the key.
 */
async function testPending(secretArn: string, token: string): Promise<StepResult> {
  const pending = parseKeySecret((await aws.readSecretVersion(secretArn, token))?.secretString);
  if (!pending) throw new KeyError(`Secret ${secretArn} has no pending key for rotation ${token}.`);
  const keys = await aws.listBucketKeys(pending.bucketName);
  const listed = keys.find((k) => k.accessKeyId === pending.accessKeyId);
  if (listed?.status !== 'Active') {
    throw new KeyError(
      `The pending key ${pending.accessKeyId} of secret ${secretArn} is ${listed ? listed.status : 'missing'} on ` +
        `bucket "${pending.bucketName}", not Active.`,
    );
  }
  return { outcome: 'tested', accessKeyId: pending.accessKeyId };
}

/** Moves AWSCURRENT to the pending version; Secrets Manager moves AWSPREVIOUS to the version it leaves. */
async function finish(secretArn: string, token: string): Promise<StepResult> {
  const stages = await aws.versionStages(secretArn);
  const current = Object.keys(stages).find((id) => stages[id].includes('AWSCURRENT'));
  await aws.moveStage(secretArn, 'AWSCURRENT', token, current);
  const pending = parseKeySecret((await aws.readSecretVersion(secretArn, token))?.secretString);
  return { outcome: 'finished', accessKeyId: pending?.accessKeyId };
}

/**
 * Ends the grace period of a rotated-out key: once the current version is older than the grace period, every key
 * of the secret but the current one and a pending one is deleted.
 */
export async function expireGracePeriod(
  secretArn: string,
  gracePeriodSeconds: number,
  now = Date.now(),
): Promise<StepResult> {
  const recorded = await recordedKeys(secretArn);
  const current = recorded.find((r) => r.version.stages.includes('AWSCURRENT'));
  if (!current) return { outcome: 'no-current-key' };
  const since = current.version.createdAt?.getTime() ?? now;
  if (now - since < gracePeriodSeconds * 1000) return { outcome: 'in-grace-period' };
  const pending = recorded.find((r) => r.version.stages.includes('AWSPENDING'));
  const deletedKeyIds = await deleteRecordedKeysExcept(recorded, (r) => r === current || r === pending);
  return { outcome: deletedKeyIds.length ? 'grace-period-ended' : 'nothing-to-expire', deletedKeyIds };
}
