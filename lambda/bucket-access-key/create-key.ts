/**
 * Creating a lineage's key for Create and Update (reconcile.ts decided to): its first key, or one replacing a
 * recorded key that is gone, written into the secret as held by this resource. The steps: make room (only a move
 * away from a rotated lineage), create and record; if that fails, adopt what a winning delivery recorded, or restore
 * the lineage as it was; if Lightsail created the key late, delete it again should the lineage have been closed
 * meanwhile.
 */
import { AWSCURRENT, AWSPENDING, type KeyResourceProperties, type KeySecretValue } from '../../lib/contract';
import * as aws from '../shared/aws';
import { KeyError, SlotTakenError, explain, explainMissingBucket } from '../shared/errors';
import { createAndRecord } from '../shared/key-creation';
import { hasFreeSlot, newKeys } from '../shared/key-secret';
import { deleteKeys, keysIn, lineageClosed, ownerStage, readKeyAt, readVersions } from '../shared/lineage';
import { sleep } from '../shared/retry';
import type { KeyDecision } from './decisions';
import { type Invocation, type LifecycleResult, keyResult } from './result';

export interface ReconcileOptions {
  /** A lineage on the same bucket whose keys but the current one may go to free a slot (a move away from it). */
  readonly rotatedOutOf?: string;
  /**
   * A lineage CloudFormation returns to (a rollback) is restored as it was when its recorded key is gone and cannot be
   * replaced: failing would leave the stack stuck in UPDATE_ROLLBACK_FAILED. The lineage keeps the key it recorded, as
   * before the failed update, and the log says why it could not be replaced.
   */
  readonly restoreIfIrreplaceable?: boolean;
}

export async function createKey(
  props: KeyResourceProperties,
  decision: Extract<KeyDecision, { kind: 'create' }>,
  keys: readonly aws.BucketKeyInfo[],
  invocation: Invocation,
  options: ReconcileOptions,
): Promise<LifecycleResult> {
  const notes: string[] = [];
  if (decision.replaces) {
    notes.push(`The recorded key ${decision.replaces} no longer exists in bucket "${props.BucketName}"; replaced it.`);
  }
  let created: { accessKeyId: string; settledLate: boolean };
  try {
    created = await createMakingRoom(props, decision.token, keys, invocation, options.rotatedOutOf, notes);
  } catch (error) {
    // Another delivery of this request (Lambda may deliver one more than once, at the same time) may have won the
    // race for the slot or the write: then its key is this lineage's key, and this delivery answers with it too.
    const winner = await awaitWinner(props, decision.token, keys);
    if (winner) return keyResult(props, 'adopted', winner.accessKeyId, ['Adopted the key another delivery recorded.']);
    if (options.restoreIfIrreplaceable && decision.replaces && error instanceof KeyError) {
      return restoreAsItWas(props, decision.replaces, error);
    }
    throw error;
  }
  if (created.settledLate && (await lineageClosed(props.SecretArn))) {
    await aws.deleteKey(props.BucketName, created.accessKeyId, invocation.deadline);
    throw new KeyError(explain.closedWhileCreated(props.SecretArn));
  }
  return keyResult(props, decision.replaces ? 'replaced-missing-key' : 'created', created.accessKeyId, notes);
}

/**
 * Creates and records the key. A move away from a rotated lineage on a full bucket makes room first (makeRoom); a
 * rotation of that lineage may take the slot freed before the move's key is created (both delete the rotated-out key,
 * then create): room is made again, from the rotation's pending key, and the creation tried again.
 */
async function createMakingRoom(
  props: KeyResourceProperties,
  token: string,
  keys: readonly aws.BucketKeyInfo[],
  invocation: Invocation,
  rotatedOutOf: string | undefined,
  notes: string[],
) {
  let bucketKeys = keys;
  for (let attempt = 1; ; attempt++) {
    if (rotatedOutOf && !hasFreeSlot(bucketKeys)) {
      const room = await makeRoom(rotatedOutOf, props.BucketName, bucketKeys, invocation.deadline);
      bucketKeys = room.bucketKeys;
      if (room.deleted.length) {
        notes.push(`Deleted ${room.deleted.join(', ')}, not current in ${rotatedOutOf}, to free a slot.`);
      }
    }
    try {
      return await createWithinLimit(props, token, bucketKeys, invocation);
    } catch (error) {
      if (!(rotatedOutOf && error instanceof SlotTakenError) || attempt === MOVE_ATTEMPTS) throw error;
      bucketKeys = await aws.listBucketKeys(props.BucketName);
    }
  }
}

function createWithinLimit(
  props: KeyResourceProperties,
  token: string,
  bucketKeys: readonly aws.BucketKeyInfo[],
  invocation: Invocation,
) {
  if (!hasFreeSlot(bucketKeys)) {
    throw new KeyError(explain.noFreeSlot(props.BucketName, bucketKeys, explain.replacementNeedsSlot(props.SecretArn)));
  }
  // Only a new key needs the bucket's URL: read while the key is created, not on every update.
  const endpoint = async () =>
    props.Endpoint ??
    aws.bucketEndpoint(props.BucketName).catch(explainMissingBucket(props.BucketName, invocation.region));
  const stages = [AWSCURRENT, ownerStage(invocation.logicalId)];
  return createAndRecord(props.SecretArn, props.BucketName, token, bucketKeys, { ...invocation, endpoint }, stages);
}

/** How long a delivery that lost the race for a slot waits for the winner to record its key. */
const WINNER_WAIT_MS = 3_000;
const WINNER_POLL_MS = 200;

/**
 * The key the winning delivery recorded with this token, once Lightsail lists it (its creation may be applied
 * late): at once if it is there; otherwise, while the winner is between creating and writing (a key appeared on the
 * bucket during this delivery that is not recorded yet) or its recorded key is not listed yet, a few seconds more.
 * Answering FAILED first would make CloudFormation roll back a deploy that succeeded.
 */
async function awaitWinner(
  props: KeyResourceProperties,
  token: string,
  keysBefore: readonly aws.BucketKeyInfo[],
): Promise<KeySecretValue | undefined> {
  const deadline = Date.now() + WINNER_WAIT_MS;
  for (;;) {
    const [current, keysNow] = await Promise.all([
      readKeyAt(props.SecretArn, { stage: AWSCURRENT }).catch(() => ({ version: undefined, key: undefined })),
      aws.listBucketKeys(props.BucketName).catch(() => []),
    ]);
    const recorded = current.version?.versionId === token ? current.key : undefined;
    if (recorded && keysNow.some((k) => k.accessKeyId === recorded.accessKeyId)) return recorded;
    if (Date.now() >= deadline) return undefined;
    if (!recorded && newKeys(keysBefore, keysNow).length === 0) return undefined;
    await sleep(WINNER_POLL_MS);
  }
}

/**
 * The lineage keeps the key it recorded (see ReconcileOptions), if nothing was written. If the replacement was
 * recorded and Lightsail then failed its creation (key-creation.ts), the lineage records a key that never existed,
 * as it recorded one that is gone: it stays so, and the next update of the resource replaces that key.
 */
async function restoreAsItWas(
  props: KeyResourceProperties,
  recordedKeyId: string,
  error: KeyError,
): Promise<LifecycleResult> {
  const [{ key }, bucketKeys] = await Promise.all([
    readKeyAt(props.SecretArn, { stage: AWSCURRENT }),
    aws.listBucketKeys(props.BucketName),
  ]);
  const onBucket = (id: string) => bucketKeys.some((k) => k.accessKeyId === id);
  if (!key || (key.accessKeyId !== recordedKeyId && onBucket(key.accessKeyId))) throw error;
  return keyResult(props, 'restored', key.accessKeyId, [
    `Restored the lineage with its recorded key ${key.accessKeyId}, which could not be replaced: ${error.message}`,
  ]);
}

/** How often a move away from a rotated lineage makes room and creates, when a rotation takes the slot it freed. */
const MOVE_ATTEMPTS = 3;
/** How long a move waits for a rotation of the lineage it leaves to record the key it created. */
const ROTATION_RECORD_WAIT_MS = 3_000;
const ROTATION_RECORD_POLL_MS = 200;

/**
 * Frees a slot on a full bucket for a move away from a rotated lineage: the keys that lineage records but not as
 * current go, a rotated-out one (its grace period ends early) or a rotation's pending one (the rotation's key leaves
 * with its lineage anyway). The current key is never touched, so a rollback finds it intact. A rotation under way may
 * have created its key and not recorded it yet: while a key no version records is on the bucket, the move waits a
 * few seconds for the record. Returns the bucket's keys that remain, and the ids of the keys it deleted.
 */
async function makeRoom(secretArn: string, bucketName: string, keys: readonly aws.BucketKeyInfo[], until: number) {
  const waitUntil = Math.min(until, Date.now() + ROTATION_RECORD_WAIT_MS);
  const deleted: string[] = [];
  let bucketKeys = keys;
  for (;;) {
    const { versions, current } = await readVersions(secretArn);
    const recorded = keysIn(versions);
    const onBucket = new Set(bucketKeys.map((k) => k.accessKeyId));
    const notCurrent = recorded.filter((k) => k.accessKeyId !== current?.accessKeyId && onBucket.has(k.accessKeyId));
    deleted.push(...(await deleteKeys(notCurrent, until)));
    // Gone, whoever deleted them: a rotation of the lineage deletes its rotated-out keys too.
    bucketKeys = bucketKeys.filter((k) => !notCurrent.some((n) => n.accessKeyId === k.accessKeyId));
    const unrecorded = bucketKeys.some((k) => !recorded.some((r) => r.accessKeyId === k.accessKeyId));
    const rotating = versions.some((v) => v.stages.includes(AWSPENDING) && !v.stages.includes(AWSCURRENT));
    if (hasFreeSlot(bucketKeys) || !unrecorded || !rotating || Date.now() >= waitUntil) {
      return { bucketKeys, deleted };
    }
    await sleep(ROTATION_RECORD_POLL_MS);
    bucketKeys = await aws.listBucketKeys(bucketName);
  }
}
