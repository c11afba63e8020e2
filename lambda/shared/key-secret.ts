/**
 * Pure functions over the key secret's JSON and the facts Lightsail gives about a bucket's keys: no AWS calls.
 */
import { createHash } from 'node:crypto';
import { type KeySecretValue, MAX_KEYS_PER_BUCKET } from '../../lib/contract';
import type { BucketKeyInfo } from './aws';

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

/** Whether a bucket with these keys has a slot for one more (Lightsail allows MAX_KEYS_PER_BUCKET). */
export function hasFreeSlot(bucketKeys: readonly BucketKeyInfo[]): boolean {
  return bucketKeys.length < MAX_KEYS_PER_BUCKET;
}

/** The keys a bucket lists now that it did not list before. */
export function newKeys(before: readonly BucketKeyInfo[], now: readonly BucketKeyInfo[]): BucketKeyInfo[] {
  const known = new Set(before.map((k) => k.accessKeyId));
  return now.filter((k) => !known.has(k.accessKeyId));
}
