/**
 * Delete: the lineage the request names is closed (lineage.ts): retired, every writer's token claimed, every key
 * its secret recorded deleted; keys already gone count as done. The lineage is the physical id's, or, for an id
 * CloudFormation made up, the one the properties name (decisions.ts, `deleteTarget`).
 *
 * A lineage another custom resource holds too (one that adopted it under a new logical id) is not closed: this
 * resource lets go of it, and the last one to be deleted closes it.
 */
import type { KeyResourceProperties } from '../../lib/contract';
import * as aws from '../shared/aws';
import { closeLineage } from '../shared/closing';
import { describeKey } from '../shared/errors';
import { holderOf, ownerStage, owners } from '../shared/lineage';
import { describeError } from '../shared/log';
import { deleteTarget } from './decisions';
import type { Invocation, LifecycleResult } from './result';

export async function onDelete(
  physicalResourceId: string,
  props: KeyResourceProperties,
  invocation: Invocation,
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
  let description: aws.SecretDescription;
  try {
    description = await aws.describeSecret(secretArn);
  } catch (error) {
    if (aws.isNotFound(error)) return secretGone(physicalResourceId, props, error);
    throw error;
  }
  const others = owners(description).filter((id) => id !== invocation.logicalId);
  if (others.length > 0) return letGo(physicalResourceId, secretArn, description, invocation.logicalId, others);

  try {
    const deletedKeyIds = await closeLineage(secretArn, invocation.deadline);
    return { physicalResourceId, outcome: 'deleted', deletedKeyIds, notes: notes.length ? notes : undefined };
  } catch (error) {
    if (aws.isNotFound(error)) return secretGone(physicalResourceId, props, error);
    if (!aws.isMarkedForDeletion(error)) throw error;
    // Deleted outside CloudFormation, but not yet gone: its record of keys is still there. CloudFormation deletes
    // the secret right after this resource anyway.
    await aws.restoreSecret(secretArn);
    const deletedKeyIds = await closeLineage(secretArn, invocation.deadline);
    notes.push('The key secret was scheduled for deletion outside CloudFormation; restored it to read its keys.');
    return { physicalResourceId, outcome: 'deleted', deletedKeyIds, notes };
  }
}

/** Another custom resource holds the lineage: this one takes its owner label off and leaves the keys alone. */
async function letGo(
  physicalResourceId: string,
  secretArn: string,
  description: aws.SecretDescription,
  logicalId: string,
  others: readonly string[],
): Promise<LifecycleResult> {
  const stage = ownerStage(logicalId);
  const labelled = holderOf(description, stage);
  if (labelled) await aws.moveStage(secretArn, stage, undefined, labelled);
  return {
    physicalResourceId,
    outcome: 'released',
    notes: [`The lineage is also held by ${others.join(', ')}, which keeps its keys: only let go of it.`],
  };
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
