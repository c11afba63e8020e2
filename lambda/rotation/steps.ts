/**
 * Secrets Manager rotation of a key secret, in the four steps of its rotation contract. Every step can run again
 * (Secrets Manager retries, Lambda duplicates) with the same effect.
 *
 * A bucket has two key slots. A rotated key lineage holds the current key and, during its grace period, the
 * previous one. So createSecret deletes every key of the secret but the current one (the previous key's grace ends
 * at the next rotation at the latest) before it creates the pending key.
 *
 * createSecret is a writer of the lineage's keys (closing.ts): it creates nothing once the lineage is retired or
 * rotation is turned off (the secret lost its rotation tag), writes only into the version RotateSecret made for this
 * rotation, which a closer can claim, and deletes its own key if the rotation was ended while it wrote.
 */
import { AWSCURRENT, AWSPENDING, type KeySecretValue, ROTATION_TAG, type RotationStep } from '../../lib/contract';
import * as aws from '../shared/aws';
import { KeyError, explain } from '../shared/errors';
import { type KeyCreationContext, createAndRecord } from '../shared/key-creation';
import { RETIRED_MARKER, hasFreeSlot } from '../shared/key-secret';
import {
  creatingOperation,
  deleteKeys,
  holderOf,
  isRetired,
  keysIn,
  lineageClosed,
  readKeyAt,
  readVersions,
} from '../shared/lineage';

export interface StepResult {
  readonly outcome: string;
  readonly accessKeyId?: string;
  readonly deletedKeyIds?: readonly string[];
}

export async function runStep(
  step: RotationStep,
  secretArn: string,
  token: string,
  invocation: KeyCreationContext,
): Promise<StepResult> {
  const description = await aws.describeSecret(secretArn);
  const stages = description.stages[token] ?? [];
  if (stages.includes(AWSCURRENT)) return { outcome: 'already-current' };
  if (isRetired(description)) throw new KeyError(explain.rotationOfClosedLineage(secretArn));
  if (!(ROTATION_TAG in description.tags)) throw new KeyError(explain.rotationTurnedOff(secretArn));
  if (!stages.includes(AWSPENDING)) {
    throw new KeyError(explain.rotationEnded(secretArn, token, ': its version is not AWSPENDING any more.'));
  }
  switch (step) {
    case 'createSecret':
      return createPending(secretArn, token, invocation);
    case 'setSecret':
      // A Lightsail key works once it exists: there is nothing to set in another system.
      return { outcome: 'nothing-to-set' };
    case 'testSecret': {
      const pending = await livePendingKey(secretArn, token, invocation.deadline);
      return { outcome: 'tested', accessKeyId: pending.accessKeyId };
    }
    case 'finishSecret':
      return finish(secretArn, token, holderOf(description, AWSCURRENT), invocation.deadline);
  }
}

/**
 * Creates the pending key, unless this rotation's version holds one already. Steps: read the versions; delete the
 * rotated-out keys; check the slot; create and record the key; check, once the key exists, that the rotation was not
 * ended meanwhile.
 */
async function createPending(secretArn: string, token: string, invocation: KeyCreationContext): Promise<StepResult> {
  const [{ versions, current }, written] = await Promise.all([
    readVersions(secretArn),
    aws.readSecretVersion(secretArn, token),
  ]);
  if (written?.secretString !== undefined) {
    const pending = await livePendingKey(secretArn, token, invocation.deadline);
    return { outcome: 'pending-exists', accessKeyId: pending.accessKeyId };
  }
  if (!current) throw new KeyError(explain.noKeyToRotate(secretArn));
  // Every recorded key but the current one, and but a key another delivery of this step may just have written.
  const rotatedOut = keysIn(versions.filter((v) => v.versionId !== token));
  const deletedKeyIds = await deleteKeys(
    rotatedOut.filter((k) => k.accessKeyId !== current.accessKeyId),
    invocation.deadline,
  );
  const keys = await aws.listBucketKeys(current.bucketName);
  if (!hasFreeSlot(keys)) {
    throw new KeyError(explain.noFreeSlot(current.bucketName, keys, explain.rotationNeedsSlot(secretArn)));
  }
  let accessKeyId: string;
  try {
    ({ accessKeyId } = await createAndRecord(
      secretArn,
      current.bucketName,
      token,
      keys,
      {
        ...invocation,
        region: current.region || invocation.region,
        // The bucket's URL: records written before bucketUrl existed hold it as their endpoint.
        endpoint: async () => current.bucketUrl ?? current.endpoint,
      },
      [AWSPENDING],
    ));
  } catch (error) {
    // Another delivery of this step may have recorded its key with this token first.
    const { key: winner } = await readKeyAt(secretArn, { versionId: token }).catch(() => ({ key: undefined }));
    if (winner) return { outcome: 'pending-exists', accessKeyId: winner.accessKeyId, deletedKeyIds };
    throw error;
  }
  // A closer, or the custom resource ending this rotation, claims this rotation's version before it reads the secret,
  // and takes AWSPENDING off it before it deletes keys. Two cases slip past the claim: RotateSecret not having made
  // the version (UNVERIFIED that it always does), and a key Lightsail created late, which did not exist yet when
  // they came to delete it. Checking once the key exists covers both: if the rotation was ended, the key goes.
  if (await lineageClosed(secretArn, token)) {
    await aws.deleteKey(current.bucketName, accessKeyId, invocation.deadline);
    throw new KeyError(explain.rotationEnded(secretArn, token, ' while it created a key: deleted it.'));
  }
  return { outcome: 'created', accessKeyId, deletedKeyIds };
}

/**
 * The key this rotation's version records, when Lightsail lists it as Active (after the operation still creating it,
 * if its version names one). No S3 request is made with it: that would need an S3 client in the function and network
 * access to the bucket, and a new key can take a moment to work everywhere, which would fail rotations for no fault
 * of the key. A recorded key that is not on the bucket (its creation failed, or it was deleted outside the stack) can
 * never become current: the rotation is ended (AWSPENDING taken off its version), and the next one starts afresh.
 */
async function livePendingKey(secretArn: string, token: string, until: number): Promise<KeySecretValue> {
  const { version, key: pending } = await readKeyAt(secretArn, { versionId: token });
  if (version?.secretString === RETIRED_MARKER) {
    throw new KeyError(explain.rotationEnded(secretArn, token, ' before it wrote its key.'));
  }
  if (!pending) throw new KeyError(explain.noPendingKey(secretArn, token));
  const creating = creatingOperation(version?.stages ?? []);
  if (creating) await aws.awaitOperation(creating, until, `creating key ${pending.accessKeyId}`);
  const listed = (await aws.listBucketKeys(pending.bucketName)).find((k) => k.accessKeyId === pending.accessKeyId);
  if (listed?.status === 'Active') return pending;
  if (!listed) {
    await aws.moveStage(secretArn, AWSPENDING, undefined, token);
    const how = `: its key ${pending.accessKeyId} is missing from bucket "${pending.bucketName}". The next rotation creates a new one.`;
    throw new KeyError(explain.rotationEnded(secretArn, token, how));
  }
  throw new KeyError(explain.pendingKeyNotActive(secretArn, pending.accessKeyId, listed.status, pending.bucketName));
}

/**
 * Moves AWSCURRENT to the pending version; Secrets Manager moves AWSPREVIOUS to the version it leaves. The move names
 * the version it takes the label from, so it fails if anything moved AWSCURRENT since it was read. Should the pending
 * key be gone by then (the custom resource ended this rotation while this step ran), the label goes back.
 */
async function finish(secretArn: string, token: string, current: string | undefined, until: number) {
  const pending = await livePendingKey(secretArn, token, until);
  await aws.moveStage(secretArn, AWSCURRENT, token, current);
  const listed = await aws.listBucketKeys(pending.bucketName);
  if (!listed.some((k) => k.accessKeyId === pending.accessKeyId)) {
    await aws.moveStage(secretArn, AWSCURRENT, current, token);
    throw new KeyError(explain.rotationEnded(secretArn, token, ' while it finished; the current key stays.'));
  }
  return { outcome: 'finished', accessKeyId: pending.accessKeyId };
}
