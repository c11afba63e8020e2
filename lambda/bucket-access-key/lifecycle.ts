/**
 * Create and Update of one key lineage: one secret (whose ARN is the physical id) and the keys it records. The
 * choices are pure functions in decisions.ts; this module makes the AWS calls around them. Delete is in delete.ts.
 *
 * Create and Update reconcile: if the lineage's secret records a live key for the bucket (a retried request, a
 * rollback to an old lineage, a no-op update), adopt it; otherwise create a key and write it into the secret,
 * deleting the key again if the write fails. A changed bucket or serial is a new secret, hence a new physical id, so
 * CloudFormation deletes the old lineage at cleanup: a forward Update never deletes a key its lineage still uses.
 */
import {
  type KeyResourceAttributes,
  type KeyResourceProperties,
  type KeySecretValue,
  keySecretArnPrefix,
} from '../../lib/contract';
import * as aws from '../shared/aws';
import { KeyError, type KeyCreationContext, createAndRecord, newKeys, sleep } from '../shared/key-creation';
import { bucketNotFoundMessage, hasFreeSlot, noFreeSlotMessage, parseKeySecret } from '../shared/key-secret';
import {
  AWSCURRENT,
  creatingOperation,
  deleteKeys,
  lineageClosed,
  endRotation,
  holderOf,
  incompleteRotation,
  isRetired,
  keysIn,
  ownerStage,
  owners,
  readVersions,
} from '../shared/lineage';
import { onDelete } from './delete';
import {
  type KeyDecision,
  type LineageState,
  isStackKeySecret,
  keyDecision,
  lineageState,
  updateKind,
} from './decisions';

/** What one invocation works with, besides the event's properties: where it runs, and until when it may create. */
export interface Invocation extends KeyCreationContext {
  /** The stack's id (`AWS::StackId`): its key secrets are the only ones this handler touches. */
  readonly stackId: string;
  /** The custom resource's logical id: the owner it records on its lineage. */
  readonly logicalId: string;
}

export type Outcome =
  | 'created'
  | 'adopted'
  | 'replaced-missing-key'
  | 'restored'
  | 'deleted'
  | 'released'
  | 'retained'
  | 'not-a-key-secret'
  | 'secret-gone';

export interface LifecycleResult {
  readonly physicalResourceId: string;
  readonly outcome: Outcome;
  readonly data?: KeyResourceAttributes;
  readonly accessKeyId?: string;
  /** Key ids deleted by the request. */
  readonly deletedKeyIds?: readonly string[];
  /** Things an operator should know, for the log line. */
  readonly notes?: readonly string[];
}

export function onCreate(props: KeyResourceProperties, invocation: Invocation): Promise<LifecycleResult> {
  return reconcile(props, invocation);
}

/**
 * Update, by the lineage its physical id names (decisions.ts, `updateKind`): stay and reconcile (ending rotations
 * when rotation changed), move to a new lineage, or roll back to the lineage the physical id names from one
 * CloudFormation never recorded.
 */
export async function onUpdate(
  physicalResourceId: string,
  props: KeyResourceProperties,
  previous: KeyResourceProperties,
  invocation: Invocation,
): Promise<LifecycleResult> {
  switch (updateKind(physicalResourceId, props, previous, invocation.stackId)) {
    case 'reconcile': {
      const ended = await endRotationIfChanged(props, previous, invocation);
      return withDeleted(await reconcile(props, invocation), ended);
    }
    case 'move':
      return moveLineage(props, previous, invocation);
    case 'roll back':
      return rollBack(props, previous, invocation);
  }
}

/**
 * Rotation turned off: its rotated-out keys go now, and a rotation under way or incomplete ends (lineage.ts,
 * `endRotation`); the secret lost its rotation tag before this Update, so no new rotation starts. A changed schedule:
 * a rotation left incomplete ends, since the RotationSchedule's update (after this one) would otherwise fail ("A
 * previous rotation isn't complete"). Returns the deleted key ids and notes.
 */
async function endRotationIfChanged(
  props: KeyResourceProperties,
  previous: KeyResourceProperties,
  invocation: Invocation,
): Promise<{ deletedKeyIds: string[]; notes: string[] }> {
  if (!previous.RotationSchedule || previous.RotationSchedule === props.RotationSchedule) {
    return { deletedKeyIds: [], notes: [] };
  }
  if (!props.RotationSchedule) {
    const deletedKeyIds = await endRotation(props.SecretArn, true, invocation.deadline);
    return { deletedKeyIds, notes: ['Rotation was turned off: deleted the keys it had rotated out.'] };
  }
  const stuck = incompleteRotation(await aws.describeSecret(props.SecretArn));
  if (!stuck) return { deletedKeyIds: [], notes: [] };
  const deletedKeyIds = await endRotation(props.SecretArn, false, invocation.deadline);
  return {
    deletedKeyIds,
    notes: [`Ended rotation ${stuck}, left incomplete, so that the new schedule can start rotating.`],
  };
}

function withDeleted(result: LifecycleResult, ended: { deletedKeyIds: string[]; notes: string[] }): LifecycleResult {
  if (ended.deletedKeyIds.length === 0 && ended.notes.length === 0) return result;
  return {
    ...result,
    deletedKeyIds: [...(result.deletedKeyIds ?? []), ...ended.deletedKeyIds],
    notes: [...ended.notes, ...(result.notes ?? [])],
  };
}

/**
 * A forward move to a new lineage (a changed bucket or serial) needs a free slot for the new key. A rotated lineage
 * holds its previous key for a grace period: that key is rotated out already, so when the bucket is full the move
 * ends its grace early rather than fail. The lineage's current key is never touched, so a rollback finds it intact.
 * A new lineage's secret holds the placeholder; one that records a key already is a lineage CloudFormation moves back
 * to in a rollback (carrying the newer physical id): it is restored as it was rather than get stuck.
 */
async function moveLineage(
  props: KeyResourceProperties,
  previous: KeyResourceProperties,
  invocation: Invocation,
): Promise<LifecycleResult> {
  const rotatedOutOf = previous.BucketName === props.BucketName ? previous.SecretArn : undefined;
  return reconcile(props, invocation, { rotatedOutOf, restoreIfIrreplaceable: true });
}

/**
 * When CloudFormation rolls back an update in which this resource's move to a new lineage failed, it sends an Update
 * back to the current lineage and deletes the new lineage's secret without ever sending this resource a Delete for
 * it. Yet a duplicate delivery, or an answer that came too late, may have recorded a key there: the new lineage is
 * closed first, since one of its keys may hold the slot the restored lineage needs if its own key is gone.
 */
async function rollBack(
  props: KeyResourceProperties,
  previous: KeyResourceProperties,
  invocation: Invocation,
): Promise<LifecycleResult> {
  const abandoned = await onDelete(previous.SecretArn, previous, invocation);
  const reconciled = await reconcile(props, invocation, { restoreIfIrreplaceable: true });
  return {
    ...reconciled,
    deletedKeyIds: abandoned.deletedKeyIds,
    notes: [
      ...(reconciled.notes ?? []),
      `Rolled back from ${previous.SecretArn}, whose secret CloudFormation deletes: deleted the keys it recorded.`,
      ...(abandoned.notes ?? []),
    ],
  };
}

interface ReconcileOptions {
  /** A lineage on the same bucket whose rotated-out keys may go to free a slot (a move away from it). */
  readonly rotatedOutOf?: string;
  /**
   * A lineage CloudFormation returns to (a rollback) is restored as it was when its recorded key is gone and cannot be
   * replaced: failing would leave the stack stuck in UPDATE_ROLLBACK_FAILED. The lineage keeps the key it recorded, as
   * before the failed update, and the log says why it could not be replaced.
   */
  readonly restoreIfIrreplaceable?: boolean;
}

/** The lineage keeps the key it recorded, if it still records it (nothing was written): see ReconcileOptions. */
async function restoreAsItWas(
  props: KeyResourceProperties,
  recordedKeyId: string,
  error: KeyError,
): Promise<LifecycleResult> {
  const recorded = parseKeySecret((await aws.readSecretStage(props.SecretArn, AWSCURRENT))?.secretString);
  if (recorded?.accessKeyId !== recordedKeyId) throw error;
  return result(props, 'restored', recordedKeyId, [
    `Restored the lineage with its recorded key ${recordedKeyId}, which could not be replaced: ${error.message}`,
  ]);
}

/** Create or Update: make sure the lineage's secret records a live key for the bucket, held by this resource. */
async function reconcile(
  props: KeyResourceProperties,
  invocation: Invocation,
  options: ReconcileOptions = {},
): Promise<LifecycleResult> {
  if (!isStackKeySecret(props.SecretArn, invocation.stackId)) {
    // A key recorded there could never be deleted by this stack: refuse before anything exists.
    throw new KeyError(
      `Secret ${props.SecretArn} is not one of this stack's key secrets (${keySecretArnPrefix(invocation.stackId)}...), ` +
        'the only secrets its handler writes keys into. Was the template changed by hand? Nothing was created.',
    );
  }
  const [lineage, listed] = await Promise.all([
    readLineage(props.SecretArn),
    aws.listBucketKeys(props.BucketName).catch(explainMissingBucket(props.BucketName, invocation.region)),
  ]);
  let bucketKeys = listed;
  let decision = keyDecision(lineage.state, props.SecretArn, props.BucketName, bucketKeys);
  if (decision.kind === 'create' && decision.replaces) {
    // The reads ran in parallel: the listing may predate the key another delivery just recorded, or that Lightsail
    // was still creating (its version names the operation). Only a listing taken after the secret was read, and after
    // that operation ended, can show the recorded key is really gone.
    if (lineage.creatingOperation) {
      await aws.awaitOperation(lineage.creatingOperation, invocation.deadline, `creating key ${decision.replaces}`);
    }
    bucketKeys = await aws.listBucketKeys(props.BucketName);
    decision = keyDecision(lineage.state, props.SecretArn, props.BucketName, bucketKeys);
  }
  if (decision.kind === 'refuse') throw refusal(decision, props, lineage.state);
  const owner = ownerStage(invocation.logicalId);
  if (decision.kind === 'adopt') {
    if (!lineage.owners.includes(invocation.logicalId) && lineage.currentVersionId) {
      await aws.moveStage(props.SecretArn, owner, lineage.currentVersionId, undefined);
    }
    return result(props, 'adopted', decision.accessKeyId);
  }

  const notes: string[] = [];
  if (decision.replaces) {
    notes.push(`The recorded key ${decision.replaces} no longer exists in bucket "${props.BucketName}"; replaced it.`);
  }
  if (options.rotatedOutOf && !hasFreeSlot(bucketKeys)) {
    const ended = await endGracePeriods(options.rotatedOutOf, bucketKeys, invocation.deadline);
    bucketKeys = bucketKeys.filter((k) => !ended.includes(k.accessKeyId));
    if (ended.length) notes.push(`Ended the grace period of rotated-out key ${ended.join(', ')} to free a slot.`);
  }
  let created: { accessKeyId: string; settledLate: boolean };
  try {
    created = await createWithinLimit(props, decision.token, bucketKeys, invocation, [AWSCURRENT, owner]);
  } catch (error) {
    // Another delivery of this request (Lambda may deliver one more than once, at the same time) may have won the
    // race for the slot or the write: then its key is this lineage's key, and this delivery answers with it too.
    const record = await awaitWinner(props, decision.token, bucketKeys);
    if (record) return result(props, 'adopted', record.accessKeyId, ['Adopted the key another delivery recorded.']);
    if (options.restoreIfIrreplaceable && decision.replaces && error instanceof KeyError) {
      return restoreAsItWas(props, decision.replaces, error);
    }
    throw error;
  }
  if (created.settledLate) await deleteIfClosedMeanwhile(props, created.accessKeyId, invocation.deadline);
  return result(props, decision.replaces ? 'replaced-missing-key' : 'created', created.accessKeyId, notes);
}

/**
 * A key whose creation Lightsail applied late may not have existed yet when a closer came to delete it: once it
 * exists, the writer deletes it itself if the lineage was retired meanwhile (lineage.ts).
 */
async function deleteIfClosedMeanwhile(props: KeyResourceProperties, accessKeyId: string, until: number) {
  if (!(await lineageClosed(props.SecretArn))) return;
  await aws.deleteKey(props.BucketName, accessKeyId, until);
  throw new KeyError(`The key's lineage ${props.SecretArn} was closed while its key was created: deleted it again.`);
}

/** What Create and Update read of a lineage's secret: its state, who holds it, and its current version. */
interface LineageReading {
  readonly state: LineageState;
  readonly owners: readonly string[];
  readonly currentVersionId?: string;
  /** The Lightsail operation still creating the current key when it was recorded, if any. */
  readonly creatingOperation?: string;
}

async function readLineage(secretArn: string): Promise<LineageReading> {
  try {
    const [description, current] = await Promise.all([
      aws.describeSecret(secretArn),
      aws.readSecretStage(secretArn, AWSCURRENT),
    ]);
    const currentVersionId = holderOf(description, AWSCURRENT);
    return {
      state: lineageState(current, isRetired(description)),
      owners: owners(description),
      currentVersionId,
      creatingOperation: creatingOperation((currentVersionId && description.stages[currentVersionId]) || []),
    };
  } catch (error) {
    if (aws.isNotFound(error)) return { state: lineageState(undefined, false), owners: [] };
    if (!aws.isMarkedForDeletion(error)) throw error;
    throw new KeyError(
      `The key's secret ${secretArn} is scheduled for deletion, outside CloudFormation. Restore it ` +
        `(aws secretsmanager restore-secret --secret-id ${secretArn}) and deploy again.`,
    );
  }
}

/** The error for a lineage that may get no key: why, and what to do. */
function refusal(
  decision: Extract<KeyDecision, { kind: 'refuse' }>,
  props: KeyResourceProperties,
  state: LineageState,
): KeyError {
  switch (decision.reason) {
    case 'missing':
      return new KeyError(
        `The key's secret ${props.SecretArn} does not exist: it was deleted outside CloudFormation, or by a stack ` +
          'operation this request outlived. Nothing was created. If it was deleted by hand, increment `serial` to ' +
          'give the key a new secret.',
      );
    case 'retired':
      return new KeyError(
        `The key's secret ${props.SecretArn} was closed by a Delete of its resource: this request came after ` +
          'CloudFormation had given up on it. Nothing was created.',
      );
    case 'other bucket':
      return new KeyError(
        `Secret ${props.SecretArn} records a key of bucket "${state.kind === 'key' ? state.key.bucketName : '?'}", ` +
          `not "${props.BucketName}". Each key secret belongs to one bucket; was the secret written by something else?`,
      );
  }
}

async function createWithinLimit(
  props: KeyResourceProperties,
  token: string,
  bucketKeys: readonly aws.BucketKeyInfo[],
  invocation: Invocation,
  stages: string[],
): Promise<{ accessKeyId: string; settledLate: boolean }> {
  if (!hasFreeSlot(bucketKeys)) {
    throw new KeyError(
      noFreeSlotMessage(
        props.BucketName,
        bucketKeys,
        `None of them is recorded in this key's secret (${props.SecretArn}). A new key is always created before ` +
          'an old one is deleted, so replacing a key (a changed bucket or serial) needs a free slot. Nothing was changed.',
      ),
    );
  }
  // Only a new key needs the endpoint: read while the key is created, not on every update.
  const endpoint = async () =>
    props.Endpoint ??
    aws.bucketEndpoint(props.BucketName).catch(explainMissingBucket(props.BucketName, invocation.region));
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
    const [version, keysNow] = await Promise.all([
      aws.readSecretStage(props.SecretArn, AWSCURRENT).catch(() => undefined),
      aws.listBucketKeys(props.BucketName).catch(() => []),
    ]);
    const recorded = version?.versionId === token ? parseKeySecret(version.secretString) : undefined;
    if (recorded && keysNow.some((k) => k.accessKeyId === recorded.accessKeyId)) return recorded;
    if (Date.now() >= deadline) return undefined;
    if (!recorded && newKeys(keysBefore, keysNow).length === 0) return undefined;
    await sleep(WINNER_POLL_MS);
  }
}

/** Deletes the rotated-out keys of a lineage that are still on the bucket; returns their ids. */
async function endGracePeriods(
  secretArn: string,
  bucketKeys: readonly aws.BucketKeyInfo[],
  until: number,
): Promise<string[]> {
  const { versions, current } = await readVersions(secretArn);
  const onBucket = new Set(bucketKeys.map((k) => k.accessKeyId));
  return deleteKeys(
    keysIn(versions).filter((k) => k.accessKeyId !== current?.accessKeyId && onBucket.has(k.accessKeyId)),
    until,
  );
}

function result(
  props: KeyResourceProperties,
  outcome: Outcome,
  accessKeyId: string,
  notes?: string[],
): LifecycleResult {
  return {
    physicalResourceId: props.SecretArn,
    outcome,
    accessKeyId,
    notes: notes?.length ? notes : undefined,
    data: { AccessKeyId: accessKeyId, SecretArn: props.SecretArn, BucketName: props.BucketName },
  };
}

function explainMissingBucket(bucketName: string, region: string) {
  return (error: unknown): never => {
    if (aws.isNotFound(error)) throw new KeyError(bucketNotFoundMessage(bucketName, region));
    throw error;
  };
}
