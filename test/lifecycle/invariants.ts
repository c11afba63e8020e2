/**
 * The design brief's invariants, checked against the fakes' state and everything the system under test printed
 * or answered. Each check returns the violations it found, as sentences.
 */
import { parseKeySecret } from '../../lambda/shared/key-secret';
import { RESOURCE_TYPE } from '../../lib/contract';
import type { AwsFake } from '../fakes/aws-fake';
import type { CloudFormation, DeployedResource } from './cloudformation';

/** Keys recorded in any version of any secret that still exists (also one scheduled for deletion). */
export function recordedKeyIds(fake: AwsFake): Set<string> {
  const ids = new Set<string>();
  for (const secret of fake.secrets.all()) {
    for (const version of secret.versions) {
      const record = parseKeySecret(version.secretString);
      if (record) ids.add(record.accessKeyId);
    }
  }
  return ids;
}

/**
 * 1. No orphan keys: every key on every bucket is recorded in a secret. Keys whose creator was killed before it
 * could record them (or whose creation answer was lost) are returned apart, not as violations.
 */
export function checkNoOrphans(
  fake: AwsFake,
  unrecordable: ReadonlySet<string>,
): { violations: string[]; unrecorded: string[] } {
  const recorded = recordedKeyIds(fake);
  const violations: string[] = [];
  const unrecorded: string[] = [];
  for (const key of fake.lightsail.allKeys()) {
    if (recorded.has(key.accessKeyId)) continue;
    if (unrecordable.has(key.accessKeyId)) unrecorded.push(key.accessKeyId);
    else violations.push(`orphan key ${key.accessKeyId} on bucket ${key.bucketName}: no secret records it`);
  }
  return { violations, unrecorded };
}

export function keyResources(cfn: CloudFormation): DeployedResource[] {
  return [...cfn.resources.values()].filter((r) => r.definition.Type === RESOURCE_TYPE);
}

/** The key a key resource's secret holds as AWSCURRENT, if any. */
export function currentKey(fake: AwsFake, resource: DeployedResource) {
  return parseKeySecret(fake.secrets.valueAt(resource.physicalId, 'AWSCURRENT'));
}

/**
 * 2. The secret works: after a successful deploy, each key resource's secret holds, as AWSCURRENT, a key of its
 * bucket that exists, and the resource's AccessKeyId attribute names that key. `drifted` are keys deleted out of
 * band, which CloudFormation cannot notice until the resource is updated; so is a key Lightsail failed to create
 * after it was recorded, which a rollback keeps rather than get stuck (the handler's error said so; the next update
 * replaces it); `rotated` are the key secrets that rotated since their resource last answered.
 */
export function checkSecretsWork(
  fake: AwsFake,
  cfn: CloudFormation,
  drifted: ReadonlySet<string>,
  rotated: ReadonlySet<string> = new Set(),
): string[] {
  const violations: string[] = [];
  for (const resource of keyResources(cfn)) {
    const record = currentKey(fake, resource);
    const where = `${resource.logicalId} (${resource.physicalId})`;
    if (!record) {
      violations.push(`${where}: the secret holds no key`);
      continue;
    }
    if (record.bucketName !== resource.properties.BucketName) {
      violations.push(`${where}: the secret holds a key of bucket ${record.bucketName}`);
    }
    const exists = fake.lightsail.keysOf(record.bucketName).some((k) => k.accessKeyId === record.accessKeyId);
    const neverCreated = fake.lightsail.creationFailed(record.accessKeyId);
    if (!exists && !drifted.has(record.accessKeyId) && !neverCreated) {
      violations.push(`${where}: the secret's key ${record.accessKeyId} does not exist`);
    }
    // After a rotation the attribute shows the key of the last deploy until the resource answers again.
    if (resource.attributes.AccessKeyId !== record.accessKeyId && !rotated.has(resource.physicalId)) {
      violations.push(
        `${where}: AccessKeyId is ${resource.attributes.AccessKeyId}, the secret holds ${record.accessKeyId}`,
      );
    }
  }
  return violations;
}

/** What a rollback must restore: each key resource's physical id and current key. */
export interface KeySnapshot {
  readonly physicalId: string;
  readonly accessKeyId?: string;
}

export function snapshotKeys(fake: AwsFake, cfn: CloudFormation): Map<string, KeySnapshot> {
  return new Map(
    keyResources(cfn).map((r) => [
      r.logicalId,
      { physicalId: r.physicalId, accessKeyId: currentKey(fake, r)?.accessKeyId },
    ]),
  );
}

/**
 * 4. Rollback is safe: after a rolled-back update, every key resource is back on its old lineage and old key (or the
 * key a rotation made while the update ran: `rotated` are the secrets a rotation completed in meanwhile).
 */
export function checkRollback(
  fake: AwsFake,
  cfn: CloudFormation,
  before: ReadonlyMap<string, KeySnapshot>,
  drifted: ReadonlySet<string>,
  rotated: ReadonlySet<string> = new Set(),
): string[] {
  const violations: string[] = [];
  const after = snapshotKeys(fake, cfn);
  for (const [logicalId, old] of before) {
    const now = after.get(logicalId);
    if (!now) {
      violations.push(`${logicalId}: gone after the rollback`);
      continue;
    }
    if (now.physicalId !== old.physicalId) {
      violations.push(`${logicalId}: physical id ${now.physicalId} after the rollback, was ${old.physicalId}`);
    }
    const legitimately = (old.accessKeyId && drifted.has(old.accessKeyId)) || rotated.has(now.physicalId);
    if (now.accessKeyId !== old.accessKeyId && !legitimately) {
      violations.push(`${logicalId}: key ${now.accessKeyId} after the rollback, was ${old.accessKeyId}`);
    }
  }
  return violations;
}

/** 3. No leak: no generated secret access key appears in any of the texts. */
export function checkNoLeak(texts: Iterable<string>, secrets: readonly string[]): string[] {
  const violations: string[] = [];
  for (const text of texts) {
    for (const secret of secrets) {
      if (text.includes(secret)) {
        violations.push(`a secret access key appears in: ${text.split(secret).join('<the secret>').slice(0, 200)}`);
      }
    }
  }
  return violations;
}
