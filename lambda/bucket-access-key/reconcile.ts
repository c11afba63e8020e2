/**
 * Create, and the heart of Update: make sure a lineage's secret records a live key for the bucket, held by this
 * resource. Read the lineage and the bucket's keys; decide (decisions.ts); then adopt the recorded key, or create
 * one and write it into the secret. A retried request, a rollback to an old lineage and a no-op update adopt; a
 * first key, or one replacing a recorded key that is gone, is created.
 */
import { AWSCURRENT, type KeyResourceProperties, keySecretArnPrefix } from '../../lib/contract';
import * as aws from '../shared/aws';
import { KeyError, explain, explainMissingBucket } from '../shared/errors';
import { creatingOperation, holderOf, isRetired, ownerStage, owners } from '../shared/lineage';
import { type ReconcileOptions, createKey } from './create-key';
import { type KeyDecision, type LineageState, isStackKeySecret, keyDecision, lineageState } from './decisions';
import { type Invocation, type LifecycleResult, keyResult } from './result';

export function onCreate(props: KeyResourceProperties, invocation: Invocation): Promise<LifecycleResult> {
  return reconcile(props, invocation);
}

export async function reconcile(
  props: KeyResourceProperties,
  invocation: Invocation,
  options: ReconcileOptions = {},
): Promise<LifecycleResult> {
  if (!isStackKeySecret(props.SecretArn, invocation.stackId)) {
    // A key recorded there could never be deleted by this stack: refuse before anything exists.
    throw new KeyError(explain.notAKeySecret(props.SecretArn, keySecretArnPrefix(invocation.stackId)));
  }
  const { lineage, bucketKeys, decision } = await readAndDecide(props, invocation);
  switch (decision.kind) {
    case 'refuse':
      throw refusal(decision, props, lineage.state);
    case 'adopt':
      return adopt(props, lineage, decision.accessKeyId, invocation);
    case 'create':
      return createKey(props, decision, bucketKeys, invocation, options);
  }
}

/** What Create and Update read of a lineage's secret: its state, who holds it, and its current version. */
interface LineageReading {
  readonly state: LineageState;
  readonly owners: readonly string[];
  readonly currentVersionId?: string;
  /** The Lightsail operation still creating the current key when it was recorded, if any. */
  readonly creatingOperation?: string;
}

/**
 * Reads the lineage and the bucket's keys in parallel, and decides. When the recorded key looks gone, the bucket is
 * listed again, after the operation still creating it if its version names one: the first listing may predate the
 * key another delivery just recorded, or that Lightsail was still creating.
 */
async function readAndDecide(props: KeyResourceProperties, invocation: Invocation) {
  const [lineage, listed] = await Promise.all([
    readLineage(props.SecretArn),
    aws.listBucketKeys(props.BucketName).catch(explainMissingBucket(props.BucketName, invocation.region)),
  ]);
  let bucketKeys = listed;
  let decision = keyDecision(lineage.state, props.SecretArn, props.BucketName, bucketKeys);
  if (decision.kind === 'create' && decision.replaces) {
    if (lineage.creatingOperation) {
      await aws.awaitOperation(lineage.creatingOperation, invocation.deadline, `creating key ${decision.replaces}`);
    }
    bucketKeys = await aws.listBucketKeys(props.BucketName);
    decision = keyDecision(lineage.state, props.SecretArn, props.BucketName, bucketKeys);
  }
  return { lineage, bucketKeys, decision };
}

async function readLineage(secretArn: string): Promise<LineageReading> {
  try {
    const [description, current] = await Promise.all([
      aws.describeSecret(secretArn),
      aws.readSecretStage(secretArn, AWSCURRENT),
    ]);
    // The version read is the authority on the current key: DescribeSecret, read at the same time, may be from
    // before another delivery wrote it, without the label naming the operation still creating its key.
    const currentVersionId = current?.versionId || holderOf(description, AWSCURRENT);
    return {
      state: lineageState(current, isRetired(description)),
      owners: owners(description),
      currentVersionId,
      creatingOperation: creatingOperation(current?.stages ?? []),
    };
  } catch (error) {
    if (aws.isNotFound(error)) return { state: lineageState(undefined, false), owners: [] };
    if (aws.isMarkedForDeletion(error)) throw new KeyError(explain.secretScheduledForDeletion(secretArn));
    throw error;
  }
}

/** The recorded key is this lineage's: answer with it, recording this resource as one that holds the lineage. */
async function adopt(
  props: KeyResourceProperties,
  lineage: LineageReading,
  accessKeyId: string,
  invocation: Invocation,
): Promise<LifecycleResult> {
  if (!lineage.owners.includes(invocation.logicalId) && lineage.currentVersionId) {
    await aws.moveStage(props.SecretArn, ownerStage(invocation.logicalId), lineage.currentVersionId, undefined);
  }
  return keyResult(props, 'adopted', accessKeyId);
}

/** The error for a lineage that may get no key: why, and what to do. */
function refusal(
  decision: Extract<KeyDecision, { kind: 'refuse' }>,
  props: KeyResourceProperties,
  state: LineageState,
): KeyError {
  switch (decision.reason) {
    case 'missing':
      return new KeyError(explain.secretMissing(props.SecretArn));
    case 'retired':
      return new KeyError(explain.lineageRetired(props.SecretArn));
    case 'other bucket': {
      const recorded = state.kind === 'key' ? state.key.bucketName : '?';
      return new KeyError(explain.otherBucket(props.SecretArn, recorded, props.BucketName));
    }
  }
}
