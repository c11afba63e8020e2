/**
 * What the handlers read of a lineage (docs/design.md, Words): the labels of its secret's versions (retired? who
 * holds it? a rotation under way?), its versions and the keys they record, and the key a version records. Closing a
 * lineage, and ending a rotation, are in closing.ts.
 */
import {
  AWSCURRENT,
  AWSPENDING,
  CREATING_STAGE_PREFIX,
  type KeySecretValue,
  OWNER_STAGE_PREFIX,
  RETIRED_STAGE,
} from '../../lib/contract';
import * as aws from './aws';
import { parseKeySecret } from './key-secret';

/** Whether a closer has retired the lineage (a version carries RETIRED_STAGE). */
export function isRetired(description: aws.SecretDescription): boolean {
  return Object.values(description.stages).some((stages) => stages.includes(RETIRED_STAGE));
}

/**
 * Whether a writer's lineage was closed while it wrote: retired, or its secret gone or scheduled for deletion (the
 * closer came and went). Also true when the rotation `token` names is no longer AWSPENDING (it was ended).
 */
export async function lineageClosed(secretArn: string, token?: string): Promise<boolean> {
  try {
    const description = await aws.describeSecret(secretArn);
    return isRetired(description) || (token !== undefined && !description.stages[token]?.includes(AWSPENDING));
  } catch (error) {
    if (aws.isNotFound(error) || aws.isMarkedForDeletion(error)) return true;
    throw error;
  }
}

/** The logical ids of the custom resources that hold the lineage. */
export function owners(description: aws.SecretDescription): string[] {
  return Object.values(description.stages)
    .flat()
    .filter((s) => s.startsWith(OWNER_STAGE_PREFIX))
    .map((s) => s.slice(OWNER_STAGE_PREFIX.length));
}

export function ownerStage(logicalId: string): string {
  return `${OWNER_STAGE_PREFIX}${logicalId}`;
}

/** The version holding a label, from DescribeSecret's map. */
export function holderOf(description: aws.SecretDescription, stage: string): string | undefined {
  return Object.keys(description.stages).find((id) => description.stages[id].includes(stage));
}

/** The version a rotation left AWSPENDING on, when that is not the current one: the rotation is incomplete. */
export function incompleteRotation(description: aws.SecretDescription): string | undefined {
  const pending = holderOf(description, AWSPENDING);
  return pending && pending !== holderOf(description, AWSCURRENT) ? pending : undefined;
}

/**
 * Every version of a secret, and the key its AWSCURRENT version records, read by that label: the authority on which
 * key is current, which nothing that deletes rotated-out keys may touch.
 */
export async function readVersions(
  secretArn: string,
): Promise<{ versions: aws.SecretVersion[]; current?: KeySecretValue; currentVersion?: aws.SecretVersion }> {
  const [versions, currentVersion] = await Promise.all([
    aws.readAllSecretVersions(secretArn),
    aws.readSecretStage(secretArn, AWSCURRENT),
  ]);
  return { versions, current: parseKeySecret(currentVersion?.secretString), currentVersion };
}

/**
 * The key a version records, read by its label or its id, with that version; no key for a version that records none
 * (the placeholder, the retired marker) or does not exist (yet).
 */
export async function readKeyAt(
  secretArn: string,
  at: { readonly stage: string } | { readonly versionId: string },
): Promise<{ version?: aws.SecretVersion; key?: KeySecretValue }> {
  const version =
    'stage' in at
      ? await aws.readSecretStage(secretArn, at.stage)
      : await aws.readSecretVersion(secretArn, at.versionId);
  return { version, key: parseKeySecret(version?.secretString) };
}

/** A key a version records, and the Lightsail operation still creating it when it was written, if any. */
export interface RecordedKey extends KeySecretValue {
  readonly creatingOperation?: string;
}

/** Each key the versions record, once. */
export function keysIn(versions: readonly aws.SecretVersion[]): RecordedKey[] {
  const keys = new Map<string, RecordedKey>();
  for (const v of versions) {
    const key = parseKeySecret(v.secretString);
    if (key) keys.set(key.accessKeyId, { ...key, creatingOperation: creatingOperation(v.stages) });
  }
  return [...keys.values()];
}

/** The operation a version's CREATING_STAGE_PREFIX label names (its key may not exist yet). */
export function creatingOperation(stages: readonly string[]): string | undefined {
  return stages.find((s) => s.startsWith(CREATING_STAGE_PREFIX))?.slice(CREATING_STAGE_PREFIX.length);
}

/**
 * Deletes keys in parallel; a key already gone counts as deleted. A key Lightsail was still creating when it was
 * recorded is deleted once that operation is terminal: deleted before, it would appear afterwards. Returns the ids of
 * those that existed.
 */
export async function deleteKeys(keys: readonly RecordedKey[], until: number): Promise<string[]> {
  const existed = await Promise.all(
    keys.map(async (k) => {
      // A creation that failed left no key: its delete finds none.
      if (k.creatingOperation) await aws.awaitOperation(k.creatingOperation, until, `creating key ${k.accessKeyId}`);
      return aws.deleteKey(k.bucketName, k.accessKeyId, until);
    }),
  );
  return keys.filter((_, i) => existed[i]).map((k) => k.accessKeyId);
}
