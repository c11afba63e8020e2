/**
 * Pure functions over the key secret's JSON and the facts Lightsail gives about a bucket's keys: no AWS calls.
 */
import { createHash } from 'node:crypto';
import { type KeySecretValue, MAX_KEYS_PER_BUCKET } from '../../lib/contract';
import type { BucketKeyInfo } from './aws';
import { redactLater } from './redact';

/**
 * Reads a key record from a secret version's string. The placeholder CloudFormation generated, or anything that
 * is not a complete record, yields undefined.
 */
export function parseKeySecret(secretString: string | undefined): KeySecretValue | undefined {
  if (!secretString) return undefined;
  let value: Partial<KeySecretValue>;
  try {
    value = JSON.parse(secretString);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { accessKeyId, secretAccessKey, bucketName } = value;
  if (typeof accessKeyId !== 'string' || typeof secretAccessKey !== 'string' || typeof bucketName !== 'string') {
    return undefined;
  }
  redactLater(secretAccessKey);
  return value as KeySecretValue;
}

export function serializeKeySecret(value: KeySecretValue): string {
  // A fixed member order, so a retried write of the same key produces the same string.
  const { accessKeyId, secretAccessKey, bucketName, region, endpoint, bucketUrl } = value;
  return JSON.stringify({ accessKeyId, secretAccessKey, bucketName, region, endpoint, bucketUrl });
}

/**
 * A Secrets Manager ClientRequestToken (UUID-shaped, 36 characters) derived from the parts that identify one
 * request, so the same request delivered twice writes at most one secret version.
 */
export function idempotencyToken(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\n')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The token of a lineage's first key: derived from the secret alone, so every delivery of every request that
 * writes a first key into this secret competes for the same version, and at most one wins.
 */
export function lineageToken(secretArn: string): string {
  return idempotencyToken(secretArn, 'first key');
}

/** The token of a key that replaces a recorded key which no longer exists. */
export function replacementToken(secretArn: string, replacedAccessKeyId: string): string {
  return idempotencyToken(secretArn, 'replaces', replacedAccessKeyId);
}

/** The token of the version that marks a lineage retired (lineage.ts, closeLineage). */
export function retiredToken(secretArn: string): string {
  return idempotencyToken(secretArn, 'retired');
}

/** The retired marker: the value a claim writes (docs/design.md, Words). Not a record. */
export const RETIRED_MARKER = '{"status":"retired"}';

/**
 * The recorded keys to delete, each once: every key a lineage's secret recorded except those `keep` holds. A Delete
 * keeps none; a rotation keeps the current key (and a pending one); a move that makes room keeps the current key
 * and keys no longer on the bucket.
 */
export function keysToDelete<T extends { readonly key: KeySecretValue }>(
  records: readonly T[],
  keep: (record: T) => boolean,
): KeySecretValue[] {
  const kept = new Set(records.filter(keep).map((r) => r.key.accessKeyId));
  const doomed = new Map<string, KeySecretValue>();
  for (const { key } of records) if (!kept.has(key.accessKeyId)) doomed.set(key.accessKeyId, key);
  return [...doomed.values()];
}

/** Whether a bucket with these keys has a slot for one more (Lightsail allows MAX_KEYS_PER_BUCKET). */
export function hasFreeSlot(bucketKeys: readonly BucketKeyInfo[]): boolean {
  return bucketKeys.length < MAX_KEYS_PER_BUCKET;
}

/** A key as one line for an error message: id, creation, last use. Never the secret. */
export function describeKey(key: BucketKeyInfo): string {
  const created = key.createdAt ? key.createdAt.toISOString() : 'unknown';
  const lastUsed = key.lastUsedAt ? `last used ${key.lastUsedAt.toISOString()}` : 'never used';
  return `${key.accessKeyId} (${key.status ?? 'status unknown'}, created ${created}, ${lastUsed})`;
}

/** The error for a bucket whose two key slots are taken: which keys hold them and what to do. */
export function noFreeSlotMessage(bucketName: string, keys: readonly BucketKeyInfo[], why: string): string {
  const list = keys.map((k) => `  - ${describeKey(k)}`).join('\n');
  return [
    `Bucket "${bucketName}" already has ${keys.length} access keys, Lightsail's limit per bucket:`,
    list,
    why,
    'To fix it, free a slot and deploy again: delete a key nobody uses ' +
      `(aws lightsail delete-bucket-access-key --bucket-name ${bucketName} --access-key-id <id>), ` +
      'or remove another BucketAccessKey of this bucket for one deploy.',
  ].join('\n');
}

export function bucketNotFoundMessage(bucketName: string, region: string): string {
  return (
    `Lightsail bucket "${bucketName}" does not exist in ${region}. If the bucket is defined in this app, pass ` +
    'the lightsail.CfnBucket as `bucket` (which also deploys the key after the bucket); otherwise check `bucketName`.'
  );
}
