/** What one invocation of the custom resource handler works with, and what it answers. */
import type { KeyResourceAttributes, KeyResourceProperties } from '../../lib/contract';
import type { KeyCreationContext } from '../shared/key-creation';

/** What one invocation works with, besides the event's properties: where it runs, and until when it may create. */
export interface Invocation extends KeyCreationContext {
  /** The stack's id (`AWS::StackId`): its key secrets are the only ones this handler touches. */
  readonly stackId: string;
  /** The custom resource's logical id: the owner it records on its lineage. */
  readonly logicalId: string;
}

export type Outcome =
  | 'created'
  | 'adopted'
  | 'replaced-missing-key'
  | 'restored'
  | 'deleted'
  | 'released'
  | 'retained'
  | 'not-a-key-secret'
  | 'secret-gone';

export interface LifecycleResult {
  readonly physicalResourceId: string;
  readonly outcome: Outcome;
  readonly data?: KeyResourceAttributes;
  readonly accessKeyId?: string;
  /** Key ids deleted by the request. */
  readonly deletedKeyIds?: readonly string[];
  /** Things an operator should know, for the log line. */
  readonly notes?: readonly string[];
}

/** The answer of a Create or Update: the lineage's secret ARN as physical id, and the key's attributes. */
export function keyResult(
  props: KeyResourceProperties,
  outcome: Outcome,
  accessKeyId: string,
  notes?: readonly string[],
): LifecycleResult {
  return {
    physicalResourceId: props.SecretArn,
    outcome,
    accessKeyId,
    notes: notes?.length ? notes : undefined,
    data: { AccessKeyId: accessKeyId, SecretArn: props.SecretArn, BucketName: props.BucketName },
  };
}
