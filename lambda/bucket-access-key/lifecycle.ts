/**
 * Create, Update and Delete of one key lineage: one secret (whose ARN is the physical id) and the keys it records.
 * The choices are pure functions in decisions.ts; this module makes the AWS calls around them.
 *
 * Create and Update reconcile: if the lineage's secret records a live key for the bucket (a retried request, a
 * rollback to an old lineage, a no-op update), adopt it; otherwise create a key and write it into the secret,
 * deleting the key again if the write fails. A changed bucket or serial is a new secret, hence a new physical id, so
 * CloudFormation deletes the old lineage at cleanup: a forward Update never deletes a key it did not make room for.
 */
import {
  type KeyResourceAttributes,
  type KeyResourceProperties,
  type KeySecretValue,
  keySecretArnPrefix,
} from '../../lib/contract';
import * as aws from '../shared/aws';
import {
  RETIRED_MARKER,
  bucketNotFoundMessage,
  describeKey,
  hasFreeSlot,
  lineageToken,
  noFreeSlotMessage,
  parseKeySecret,
  replacementToken,
} from '../shared/key-secret';
import { KeyError, type KeyCreationContext, createAndRecord, newKeys, sleep } from '../shared/key-creation';
import { describeError } from '../shared/log';
import { deleteRecordedKeysExcept, readRecords, recordedKeys } from '../shared/recorded-keys';
import {
  type KeyDecision,
  type LineageState,
  deleteTarget,
  isStackKeySecret,
  keyDecision,
  lineageState,
  updateKind,
} from './decisions';

/** What one invocation works with, besides the event's properties: where it runs, and until when it may create. */
export interface Invocation extends KeyCreationContext {
  /** The stack's id (`AWS::StackId`): its key secrets are the only ones this handler touches. */
  readonly stackId: string;
}

export type Outcome =
  | 'created'
  | 'adopted'
  | 'replaced-missing-key'
  | 'restored'
  | 'deleted'
  | 'retained'
  | 'not-a-key-secret'
  | 'secret-gone';

export interface LifecycleResult {
  readonly physicalResourceId: string;
  readonly outcome: Outcome;
  readonly data?: KeyResourceAttributes;
  readonly accessKeyId?: string;
  /** Key ids deleted by a Delete. */
  readonly deletedKeyIds?: readonly string[];
  /** Things an operator should know, for the log line. */
  readonly notes?: readonly string[];
}

export function onCreate(props: KeyResourceProperties, invocation: Invocation): Promise<LifecycleResult> {
  return reconcile(props, invocation);
}

/**
 * Update, by the lineage its physical id names (decisions.ts, `updateKind`): stay and reconcile, move to a new
 * lineage, or roll back to the lineage the physical id names from one CloudFormation never recorded.
 */
export async function onUpdate(
  physicalResourceId: string,
  props: KeyResourceProperties,
  previous: KeyResourceProperties,
  invocation: Invocation,
): Promise<LifecycleResult> {
  switch (updateKind(physicalResourceId, props, previous, invocation.stackId)) {
    case 'reconcile':
      return reconcile(props, invocation);
    case 'move':
      return moveLineage(props, previous, invocation);
    case 'roll back':
      return rollBack(props, previous, invocation);
  }
}

/**
 * Delete: every key recorded in any version of the lineage's secret goes; already-gone keys count as done. The
 * lineage is the physical id's, or, for an id CloudFormation made up, the one the properties name (decisions.ts,
 * `deleteTarget`).
 *
 * A delivery of an earlier request may still be running (Lambda retries, duplicates, a Create CloudFormation gave up
 * on) and about to write a key into this secret. Every key write uses a token fixed by what it replaces (the
 * lineage's first key, or a recorded key that is gone), so Delete claims each such token before it could be used:
 * the first-key token before reading the versions, and each recorded key's replacement token before deleting that
 * key. A late write then fails, and its writer deletes its own key; a write that came first is read, and its key
 * deleted, in another pass.
 */
export async function onDelete(
  physicalResourceId: string,
  props: KeyResourceProperties,
  invocation: Pick<Invocation, 'stackId'>,
): Promise<LifecycleResult> {
  const target = deleteTarget(physicalResourceId, props, invocation.stackId);
  if (target.kind === 'retain') {
    return {
      physicalResourceId,
      outcome: 'retained',
      notes: ['RemovalPolicy is retain: the key and its secret stay.'],
    };
  }
  // Neither the id nor the properties name one of this stack's key secrets (a Create that failed early).
  if (target.kind === 'none') return { physicalResourceId, outcome: 'not-a-key-secret' };

  const { secretArn } = target;
  const notes: string[] = [];
  if (target.namedBy === 'properties') {
    notes.push(
      `CloudFormation deletes a resource whose Create it got no answer for (physical id ${physicalResourceId}): ` +
        'closed the lineage its properties name.',
    );
  }
  let records: KeySecretValue[];
  try {
    records = await claimAndRead(secretArn);
  } catch (error) {
    if (aws.isNotFound(error)) return secretGone(physicalResourceId, props, error);
    if (!aws.isMarkedForDeletion(error)) throw error;
    // Deleted outside CloudFormation, but not yet gone: its record of keys is still there. CloudFormation deletes
    // the secret right after this resource anyway.
    await aws.restoreSecret(secretArn);
    notes.push('The key secret was scheduled for deletion outside CloudFormation; restored it to read its keys.');
    records = await claimAndRead(secretArn);
  }

  const handled = new Set<string>();
  const deletedKeyIds: string[] = [];
  for (let pass = 1; ; pass++) {
    const fresh = records.filter((r) => !handled.has(r.accessKeyId));
    // Only a replacement token found taken means a key may have been recorded since the last read.
    const taken = await Promise.all(
      fresh.map(async (r) => {
        handled.add(r.accessKeyId);
        const replaced = await claim(secretArn, replacementToken(secretArn, r.accessKeyId));
        if (await aws.deleteKey(r.bucketName, r.accessKeyId)) deletedKeyIds.push(r.accessKeyId);
        return replaced;
      }),
    );
    if (!taken.includes(true)) break;
    if (pass === MAX_DELETE_PASSES) {
      throw new KeyError(
        `Keys kept being recorded in ${secretArn} while its lineage was deleted (${pass} passes): ` +
          'deleting it again finishes the work.',
      );
    }
    records = await readRecords(secretArn);
  }
  return { physicalResourceId, outcome: 'deleted', deletedKeyIds, notes: notes.length ? notes : undefined };
}

/** Passes over the secret's versions a Delete makes at most: each finds keys written while the last one ran. */
const MAX_DELETE_PASSES = 5;

// ---- Create and Update -------------------------------------------------------------------------------------

/**
 * Frees slots on a full bucket before a key is created, returning the keys left and notes for the log. Only a move
 * away from a rotated lineage has slots to free (see moveLineage).
 */
type MakeRoom = (keys: readonly aws.BucketKeyInfo[]) => Promise<{ keys: aws.BucketKeyInfo[]; notes: string[] }>;

/** Create or Update: make sure the lineage's secret records a live key for the bucket. */
async function reconcile(
  props: KeyResourceProperties,
  invocation: Invocation,
  makeRoom?: MakeRoom,
): Promise<LifecycleResult> {
  if (!isStackKeySecret(props.SecretArn, invocation.stackId)) {
    // A key recorded there could never be deleted by this stack: refuse before anything exists.
    throw new KeyError(
      `Secret ${props.SecretArn} is not one of this stack's key secrets (${keySecretArnPrefix(invocation.stackId)}...), ` +
        'the only secrets its handler writes keys into. Was the template changed by hand? Nothing was created.',
    );
  }
  const [state, listed] = await Promise.all([
    aws
      .readSecretStage(props.SecretArn, 'AWSCURRENT')
      .then(lineageState, explainSecretScheduledForDeletion(props.SecretArn)),
    listKeysOrExplain(props.BucketName, invocation.region),
  ]);
  let bucketKeys = listed;
  let decision = keyDecision(state, props.SecretArn, props.BucketName, bucketKeys);
  if (decision.kind === 'create' && decision.replaces) {
    // The two reads ran in parallel: the listing may predate the key another delivery just recorded. Only a listing
    // taken after the secret was read can show the recorded key is really gone.
    bucketKeys = await aws.listBucketKeys(props.BucketName);
    decision = keyDecision(state, props.SecretArn, props.BucketName, bucketKeys);
  }
  if (decision.kind === 'refuse') throw refusal(decision, props, state);
  if (decision.kind === 'adopt') return result(props, 'adopted', decision.accessKeyId);

  const notes: string[] = [];
  if (decision.replaces) {
    notes.push(`The recorded key ${decision.replaces} no longer exists in bucket "${props.BucketName}"; replaced it.`);
  }
  let keysBefore: readonly aws.BucketKeyInfo[] = bucketKeys;
  if (makeRoom && !hasFreeSlot(bucketKeys)) {
    const room = await makeRoom(bucketKeys);
    keysBefore = room.keys;
    notes.push(...room.notes);
  }
  try {
    const accessKeyId = await createWithinLimit(props, decision.token, keysBefore, invocation);
    return result(props, decision.replaces ? 'replaced-missing-key' : 'created', accessKeyId, notes);
  } catch (error) {
    // Another delivery of this request (Lambda may deliver one more than once, at the same time) may have won the
    // race for the slot or the write: then its key is this lineage's key, and this delivery answers with it too.
    const record = await awaitWinner(props, decision.token, keysBefore);
    if (record) return result(props, 'adopted', record.accessKeyId, ['Adopted the key another delivery recorded.']);
    throw error;
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
): Promise<string> {
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
  return createAndRecord(props.SecretArn, props.BucketName, token, bucketKeys, { ...invocation, endpoint });
}

/** How long a delivery that lost the race for a slot waits for the winner to record its key. */
const WINNER_WAIT_MS = 3_000;
const WINNER_POLL_MS = 200;

/**
 * The key the winning delivery recorded with this token: at once if it is there; otherwise, while a key that
 * appeared on the bucket during this delivery is still unrecorded (the winner between creating and writing), a
 * few seconds more. Answering FAILED first would make CloudFormation roll back a deploy that succeeded.
 */
async function awaitWinner(
  props: KeyResourceProperties,
  token: string,
  keysBefore: readonly aws.BucketKeyInfo[],
): Promise<KeySecretValue | undefined> {
  const deadline = Date.now() + WINNER_WAIT_MS;
  for (;;) {
    const version = await aws.readSecretStage(props.SecretArn, 'AWSCURRENT').catch(() => undefined);
    if (version?.versionId === token) return parseKeySecret(version.secretString);
    if (Date.now() >= deadline) return undefined;
    const appeared = newKeys(keysBefore, await aws.listBucketKeys(props.BucketName).catch(() => []));
    if (appeared.length === 0) return undefined;
    await sleep(WINNER_POLL_MS);
  }
}

/**
 * A forward move to a new lineage (a changed bucket or serial) needs a free slot for the new key. A rotated lineage
 * holds its previous key for a grace period: that key is rotated out already, so when the bucket is full the move
 * ends its grace early rather than fail. The lineage's current key is never touched, so a rollback finds it intact.
 */
async function moveLineage(
  props: KeyResourceProperties,
  previous: KeyResourceProperties,
  invocation: Invocation,
): Promise<LifecycleResult> {
  const makeRoom: MakeRoom | undefined =
    previous.BucketName === props.BucketName ? (keys) => endGracePeriods(previous.SecretArn, keys) : undefined;
  // A new lineage's secret holds the placeholder; one that records a key already is a lineage CloudFormation moves
  // back to in a rollback (carrying the newer physical id): restore it as it was rather than get stuck.
  return reconcile(props, invocation, makeRoom).catch((error) => restoreAsItWas(props, error));
}

/**
 * When CloudFormation rolls back an update in which this resource's move to a new lineage failed, it sends an Update
 * back to the current lineage and deletes the new lineage's secret without ever sending this resource a Delete for
 * it. Yet a duplicate delivery, or an answer that came too late, may have recorded a key there: those keys go now,
 * first, since one may hold the slot the restored lineage needs if its own key is gone.
 */
async function rollBack(
  props: KeyResourceProperties,
  previous: KeyResourceProperties,
  invocation: Invocation,
): Promise<LifecycleResult> {
  const abandoned = await onDelete(previous.SecretArn, previous, invocation);
  const reconciled = await reconcile(props, invocation).catch((error) => restoreAsItWas(props, error));
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

/**
 * A rollback restores the lineage as it was. If its recorded key was deleted outside CloudFormation and no slot is
 * free to replace it, failing would leave the stack stuck in UPDATE_ROLLBACK_FAILED; the lineage is restored with
 * the key it recorded, as before the failed update, and the log says why it could not be replaced.
 */
async function restoreAsItWas(props: KeyResourceProperties, error: unknown): Promise<LifecycleResult> {
  const recorded = parseKeySecret((await aws.readSecretStage(props.SecretArn, 'AWSCURRENT'))?.secretString);
  if (!recorded || !(error instanceof KeyError)) throw error;
  return result(props, 'restored', recorded.accessKeyId, [
    `Restored the lineage with its recorded key ${recorded.accessKeyId}, which could not be replaced: ${error.message}`,
  ]);
}

/** Deletes the rotated-out keys of a lineage that are still on the bucket, and returns the keys left. */
async function endGracePeriods(
  secretArn: string,
  keys: readonly aws.BucketKeyInfo[],
): Promise<{ keys: aws.BucketKeyInfo[]; notes: string[] }> {
  const [current, records] = await Promise.all([aws.readSecretStage(secretArn, 'AWSCURRENT'), recordedKeys(secretArn)]);
  const currentKeyId = parseKeySecret(current?.secretString)?.accessKeyId;
  const onBucket = new Set(keys.map((k) => k.accessKeyId));
  const ended = await deleteRecordedKeysExcept(
    records,
    (r) => r.key.accessKeyId === currentKeyId || !onBucket.has(r.key.accessKeyId),
  );
  return {
    keys: keys.filter((k) => !ended.includes(k.accessKeyId)),
    notes: ended.length ? [`Ended the grace period of rotated-out key ${ended.join(', ')} to free a slot.`] : [],
  };
}

// ---- Delete ------------------------------------------------------------------------------------------------

/** Claims the lineage's first-key token, then reads every key the secret recorded. */
async function claimAndRead(secretArn: string): Promise<KeySecretValue[]> {
  await claim(secretArn, lineageToken(secretArn));
  return readRecords(secretArn);
}

/**
 * Claims a key-write token: writes the retired marker with it, so that a later key write with it fails. Returns
 * whether the token was taken already: a key was written with it, which the next read finds. A secret that is gone
 * or scheduled for deletion fails that read too, which handles it. Any other failure is thrown: a lineage left
 * unclaimed stays open to a late writer, and CloudFormation's retry of the Delete claims it.
 */
async function claim(secretArn: string, token: string): Promise<boolean> {
  try {
    await aws.putSecret(secretArn, RETIRED_MARKER, token);
    return false;
  } catch (error) {
    if (aws.isTokenTaken(error)) return true;
    if (aws.isNotFound(error) || aws.isMarkedForDeletion(error)) return false;
    throw error;
  }
}

/** The secret is gone, so the keys it recorded cannot be known: say what is left on the bucket, and succeed. */
async function secretGone(
  physicalResourceId: string,
  props: KeyResourceProperties,
  error: unknown,
): Promise<LifecycleResult> {
  const keys = await aws.listBucketKeys(props.BucketName).catch(() => []);
  const left = keys.length ? keys.map(describeKey).join('; ') : 'none';
  return {
    physicalResourceId,
    outcome: 'secret-gone',
    notes: [
      `The key secret can no longer be read (${describeError(error)}), so the keys it recorded are unknown. ` +
        `Keys left on bucket "${props.BucketName}": ${left}. Delete any that nothing uses.`,
    ],
  };
}

// ---- answers and errors ------------------------------------------------------------------------------------

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

async function listKeysOrExplain(bucketName: string, region: string): Promise<aws.BucketKeyInfo[]> {
  return aws.listBucketKeys(bucketName).catch(explainMissingBucket(bucketName, region));
}

function explainSecretScheduledForDeletion(secretArn: string) {
  return (error: unknown): never => {
    if (!aws.isMarkedForDeletion(error)) throw error;
    throw new KeyError(
      `The key's secret ${secretArn} is scheduled for deletion, outside CloudFormation. Restore it ` +
        `(aws secretsmanager restore-secret --secret-id ${secretArn}) and deploy again.`,
    );
  };
}

function explainMissingBucket(bucketName: string, region: string) {
  return (error: unknown): never => {
    if (aws.isNotFound(error)) throw new KeyError(bucketNotFoundMessage(bucketName, region));
    throw error;
  };
}
