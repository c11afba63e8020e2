/**
 * The custom resource handler's decisions, as pure functions of what CloudFormation sent and what AWS said: which
 * lineage a request is about, and what to do with its key. lifecycle.ts does the I/O around them.
 */
import {
  type KeyResourceProperties,
  type KeySecretValue,
  keySecretArnPrefix,
  removalPolicyValue,
} from '../../lib/contract';
import type { BucketKeyInfo } from '../shared/aws';
import { lineageToken, parseKeySecret, replacementToken } from '../shared/key-secret';

/**
 * Whether a secret ARN names one of this stack's key secrets (contract.ts, `keySecretArnPrefix`). Nothing else is
 * ever this handler's to write into or delete.
 */
export function isStackKeySecret(secretArn: string, stackId: string): boolean {
  const prefix = keySecretArnPrefix(stackId);
  return prefix !== undefined && secretArn.startsWith(prefix);
}

/** What a Delete closes. */
export type DeleteTarget =
  | { readonly kind: 'retain' }
  /** The lineage of this secret: named by the physical id, or only by the properties (see deleteTarget). */
  | { readonly kind: 'lineage'; readonly secretArn: string; readonly namedBy: 'physical id' | 'properties' }
  | { readonly kind: 'none' };

/**
 * The lineage a Delete closes. Normally its physical id, which the handler returned. CloudFormation also sends a
 * Delete under an id of its own for a Create it never got an answer to (cancelled because another resource failed,
 * timed out, or its answer was lost), possibly while that Create still runs; the Delete carries the same properties,
 * so their secret names the lineage, and closing it stops the still-running Create from leaving its key behind.
 */
export function deleteTarget(
  physicalResourceId: string,
  props: Pick<KeyResourceProperties, 'SecretArn' | 'RemovalPolicy'>,
  stackId: string,
): DeleteTarget {
  if (props.RemovalPolicy === removalPolicyValue(true)) return { kind: 'retain' };
  if (isStackKeySecret(physicalResourceId, stackId)) {
    return { kind: 'lineage', secretArn: physicalResourceId, namedBy: 'physical id' };
  }
  if (isStackKeySecret(props.SecretArn, stackId)) {
    return { kind: 'lineage', secretArn: props.SecretArn, namedBy: 'properties' };
  }
  return { kind: 'none' };
}

/**
 * What an Update does, by which lineage its physical id names:
 * - `reconcile`: the lineage stays (a property such as the removal policy changed): make sure it has its key;
 * - `move`: a changed bucket or serial, away from the lineage the physical id names, to a new one;
 * - `roll back`: CloudFormation restores this lineage after a failed move whose new lineage it never recorded (the
 *   resource's own update failed, or answered too late): that lineage's secret goes without a Delete, so its keys
 *   go now.
 */
export type UpdateKind = 'reconcile' | 'move' | 'roll back';

export function updateKind(
  physicalResourceId: string,
  props: Pick<KeyResourceProperties, 'SecretArn'>,
  previous: Pick<KeyResourceProperties, 'SecretArn'>,
  stackId: string,
): UpdateKind {
  if (previous.SecretArn === props.SecretArn || !isStackKeySecret(previous.SecretArn, stackId)) return 'reconcile';
  if (physicalResourceId === previous.SecretArn) return 'move';
  if (physicalResourceId === props.SecretArn) return 'roll back';
  return 'reconcile';
}

/** What a lineage's secret holds as AWSCURRENT. */
export type LineageState =
  /** CloudFormation's placeholder: no key yet. */
  | { readonly kind: 'placeholder' }
  | { readonly kind: 'key'; readonly key: KeySecretValue }
  /** A Delete closed the lineage: no key may be written into it any more. */
  | { readonly kind: 'retired' }
  /** The secret does not exist (any more): CloudFormation created it with a value, so it always has a current one. */
  | { readonly kind: 'missing' };

/**
 * The state of a lineage from its secret's AWSCURRENT version (undefined: the secret has none, so is gone) and whether
 * a closer retired it (lineage.ts).
 */
export function lineageState(current: { readonly secretString?: string } | undefined, retired: boolean): LineageState {
  if (!current) return { kind: 'missing' };
  if (retired) return { kind: 'retired' };
  const key = parseKeySecret(current.secretString);
  return key ? { kind: 'key', key } : { kind: 'placeholder' };
}

/** What Create or Update does with a lineage and its bucket's keys. */
export type KeyDecision =
  | { readonly kind: 'adopt'; readonly accessKeyId: string }
  /** Write a new key with this token: the lineage's first, or one replacing a recorded key that is gone. */
  | { readonly kind: 'create'; readonly token: string; readonly replaces?: string }
  | { readonly kind: 'refuse'; readonly reason: 'missing' | 'retired' | 'other bucket' };

export function keyDecision(
  state: LineageState,
  secretArn: string,
  bucketName: string,
  bucketKeys: readonly BucketKeyInfo[],
): KeyDecision {
  switch (state.kind) {
    case 'missing':
    case 'retired':
      return { kind: 'refuse', reason: state.kind };
    case 'placeholder':
      return { kind: 'create', token: lineageToken(secretArn) };
    case 'key': {
      const { accessKeyId } = state.key;
      if (state.key.bucketName !== bucketName) return { kind: 'refuse', reason: 'other bucket' };
      if (bucketKeys.some((k) => k.accessKeyId === accessKeyId)) return { kind: 'adopt', accessKeyId };
      return { kind: 'create', token: replacementToken(secretArn, accessKeyId), replaces: accessKeyId };
    }
  }
}
