/**
 * Closing a lineage, and ending a rotation: the closers' side of the protocol between the writers of a lineage's keys
 * and its closers (docs/design.md, "Writers and closers").
 *
 * Writers: the custom resource's Create and Update, which write a key with the lineage's first-key token or the
 * replacement token of a recorded key that is gone, and the rotation's createSecret, which writes with the rotation's
 * token into the version RotateSecret made for it. Each reads the lineage's labels before it creates a key, and
 * creates none once the lineage is retired.
 *
 * Closers: a Delete, and the rollback from a lineage CloudFormation deletes without a Delete. A closer first marks the
 * lineage retired, so no writer starts after it; then claims every token a writer already under way could still
 * write with, so that write fails and its writer deletes its own key; then deletes every key the secret recorded. A
 * claim that finds its token taken means a writer got there first: its key is read, and deleted, in another pass.
 *
 * Ending a rotation (rotation turned off, or a schedule changed while a rotation is incomplete) claims the rotation's
 * version the same way, without retiring the lineage.
 */
import { AWSPENDING, RETIRED_STAGE } from '../../lib/contract';
import * as aws from './aws';
import { RETIRED_MARKER, lineageToken, replacementToken, retiredToken } from './key-secret';
import { deleteKeys, keysIn, readVersions } from './lineage';

/** Passes over the secret's versions a closer makes at most: each finds keys written while the last one ran. */
const MAX_CLOSE_PASSES = 5;

/**
 * Closes a lineage: retires it, claims every writer's token, deletes every recorded key. Returns the ids of the keys
 * it deleted. A secret that is gone (or scheduled for deletion) is found by the first read, which throws.
 */
export async function closeLineage(secretArn: string, until: number): Promise<string[]> {
  await Promise.all([claim(secretArn, retiredToken(secretArn)), claim(secretArn, lineageToken(secretArn))]);
  const handled = new Set<string>();
  const deleted: string[] = [];
  for (let pass = 1; ; pass++) {
    const versions = await aws.readAllSecretVersions(secretArn);
    const fresh = keysIn(versions).filter((k) => !handled.has(k.accessKeyId));
    fresh.forEach((k) => handled.add(k.accessKeyId));
    // A writer under way may still write a key replacing one of these, or into a rotation's version not written yet.
    const [claims, deletedNow] = await Promise.all([
      Promise.all([
        ...fresh.map((k) => claim(secretArn, replacementToken(secretArn, k.accessKeyId))),
        ...unwrittenRotations(versions).map((id) => claim(secretArn, id, [AWSPENDING])),
      ]),
      deleteKeys(fresh, until),
    ]);
    deleted.push(...deletedNow);
    if (!claims.includes('taken')) return deleted;
    if (pass === MAX_CLOSE_PASSES) {
      throw new Error(
        `Keys kept being recorded in ${secretArn} while its lineage was closed (${pass} passes): deleting it again ` +
          'finishes the work.',
      );
    }
  }
}

/**
 * Ends a rotation of a lineage that stays open: claims the version it writes if it has not written yet (a still
 * running createSecret then deletes its own key), deletes that version's key if it has one, and takes AWSPENDING off
 * it, so that RotateSecret works again. With `rotatedOut`, also deletes every other recorded key but the current one:
 * what turning rotation off does. Never deletes the current key. Returns the ids of the keys it deleted.
 */
export async function endRotation(secretArn: string, rotatedOut: boolean, until: number): Promise<string[]> {
  let read = await readVersions(secretArn);
  const claims = await Promise.all(unwrittenRotations(read.versions).map((id) => claim(secretArn, id, [AWSPENDING])));
  if (claims.includes('taken')) read = await readVersions(secretArn);
  const { versions, current, currentVersion } = read;
  const pending = versions.find((v) => v.stages.includes(AWSPENDING) && v.versionId !== currentVersion?.versionId);
  const keep = current?.accessKeyId;
  // The label goes first: a rotation whose key Lightsail creates late checks it once its key exists (steps.ts).
  if (pending) await aws.moveStage(secretArn, AWSPENDING, undefined, pending.versionId).catch(ignoreMovedLabel);
  const doomed = keysIn(rotatedOut ? versions : versions.filter((v) => v === pending));
  return deleteKeys(
    doomed.filter((k) => k.accessKeyId !== keep),
    until,
  );
}

/** Versions RotateSecret made that no rotation function has written yet (AWSPENDING, no value). */
function unwrittenRotations(versions: readonly aws.SecretVersion[]): string[] {
  return versions
    .filter((v) => v.stages.includes(AWSPENDING) && v.secretString === undefined && !v.undecryptable)
    .map((v) => v.versionId);
}

/**
 * Claims a writer's token: writes the retired marker with it (labelled RETIRED_STAGE, or as given), so that a later
 * write of a key with it fails. 'taken' when the token already holds another value: a key was written with it, which
 * the next read finds. A secret that is gone or scheduled for deletion fails that read too, which handles it. Any
 * other failure is thrown: a lineage left unclaimed stays open to a late writer, and a retry claims it.
 */
async function claim(secretArn: string, token: string, stages = [RETIRED_STAGE]): Promise<'claimed' | 'taken'> {
  try {
    await aws.putSecret(secretArn, RETIRED_MARKER, token, stages);
    return 'claimed';
  } catch (error) {
    if (aws.isTokenTaken(error)) return 'taken';
    if (aws.isNotFound(error) || aws.isMarkedForDeletion(error)) return 'claimed';
    throw error;
  }
}

/** AWSPENDING may have moved since it was read (a rotation finished, or another request ended it): fine. */
function ignoreMovedLabel(error: unknown): void {
  if ((error as { name?: string }).name !== 'InvalidParameterException') throw error;
}
