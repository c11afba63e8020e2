/**
 * Update, by the lineage its physical id names (decisions.ts, `updateKind`):
 *
 * - stay on the lineage (a property such as the removal policy or the rotation schedule changed): end rotations if
 *   rotation changed, then reconcile;
 * - move to a new lineage (a changed bucket or serial): reconcile the new one; CloudFormation deletes the old one at
 *   cleanup, once the whole update succeeded, so a forward Update never deletes a key its lineage still uses;
 * - roll back to the lineage the physical id names, from one CloudFormation never recorded: close that one first.
 */
import type { KeyResourceProperties } from '../../lib/contract';
import * as aws from '../shared/aws';
import { endRotation } from '../shared/closing';
import { incompleteRotation } from '../shared/lineage';
import { updateKind } from './decisions';
import { onDelete } from './delete';
import { reconcile } from './reconcile';
import type { Invocation, LifecycleResult } from './result';

export async function onUpdate(
  physicalResourceId: string,
  props: KeyResourceProperties,
  previous: KeyResourceProperties,
  invocation: Invocation,
): Promise<LifecycleResult> {
  switch (updateKind(physicalResourceId, props, previous, invocation.stackId)) {
    case 'reconcile': {
      const ended = await endRotationIfChanged(props, previous, invocation);
      return withEnded(await reconcile(props, invocation), ended);
    }
    case 'move':
      return moveLineage(props, previous, invocation);
    case 'roll back':
      return rollBack(props, previous, invocation);
  }
}

interface Ended {
  readonly deletedKeyIds: string[];
  readonly notes: string[];
}

/**
 * Rotation turned off: its rotated-out keys go now, and a rotation under way or incomplete ends (closing.ts,
 * `endRotation`); the secret lost its rotation tag before this Update, so no new rotation starts. A changed schedule,
 * or `rotateImmediatelyOnUpdate` turned on or off (a rollback too: the rotation the forward update started may still
 * run): a rotation under way or left incomplete ends, since the RotationSchedule's update (after this one) would
 * otherwise fail ("A previous rotation isn't complete").
 */
async function endRotationIfChanged(
  props: KeyResourceProperties,
  previous: KeyResourceProperties,
  invocation: Invocation,
): Promise<Ended> {
  const unchanged =
    previous.RotationSchedule === props.RotationSchedule &&
    previous.RotateImmediatelyOnUpdate === props.RotateImmediatelyOnUpdate;
  if (!previous.RotationSchedule || unchanged) {
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
    notes: [`Ended rotation ${stuck}, under way or left incomplete, so that the RotationSchedule can be updated.`],
  };
}

function withEnded(result: LifecycleResult, ended: Ended): LifecycleResult {
  if (ended.deletedKeyIds.length === 0 && ended.notes.length === 0) return result;
  return {
    ...result,
    deletedKeyIds: [...(result.deletedKeyIds ?? []), ...ended.deletedKeyIds],
    notes: [...ended.notes, ...(result.notes ?? [])],
  };
}

/**
 * A forward move to a new lineage needs a free slot for the new key. A rotated lineage holds its previous key for a
 * grace period, and a rotation under way holds its pending key: when the bucket is full, the move deletes those rather
 * than fail, waiting briefly for a rotation that created its key to record it (create-key.ts, `makeRoom`). The
 * lineage's current key is never touched, so a rollback finds it intact. A new lineage's secret holds
 * the placeholder; one that records a key already is a lineage CloudFormation moves back to in a rollback (carrying
 * the newer physical id): it is restored as it was rather than get stuck.
 */
function moveLineage(
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
