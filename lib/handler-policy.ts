/**
 * What the stack's key handlers may do: the statements of their roles. Each is scoped to what the stack's keys
 * touch: their secrets (by the stack's name prefix), their buckets (by ARN, as keys are added) and the KMS keys of
 * their secrets (through Secrets Manager only). The bucket statement is one object in every role, so a key added
 * after a handler was created still reaches it.
 */
import { ArnFormat, Aws, Fn, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { type Acknowledgement, WILDCARD_REASONS, wildcardResource } from './acknowledgements';
import { STACK_ID_PARTS, keySecretNamePrefix } from './contract';
import { warnOfManyBuckets } from './warnings';

/**
 * Bucket ARNs the handlers' key statement names one by one. A resolved ARN takes about 85 characters; 40 of them
 * keep the statement well within 6,144, the most a managed policy holds (aws-cdk-lib moves a statement there when
 * the role's inline policy would be too large, and never splits a statement).
 */
const MAX_NAMED_BUCKETS = 40;

/** What both handlers do with a key secret: read it, write a version, and move staging labels between versions. */
const SECRET_ACTIONS = [
  'secretsmanager:DescribeSecret',
  'secretsmanager:GetSecretValue',
  'secretsmanager:PutSecretValue',
  'secretsmanager:ListSecretVersionIds',
  // The rotation steps' labels; for the custom resource handler, owner labels, and taking AWSPENDING off a rotation
  // it ends.
  'secretsmanager:UpdateSecretVersionStage',
];

/** The custom resource handler, and the rotation handler (which Secrets Manager and the grace-period schedule run). */
export type HandlerKind = 'customResource' | 'rotation';

/** Name prefix of the stack's key secrets, as the stack is deployed: the handlers may touch these and no others. */
export function secretNamePrefix(): string {
  const stackUuid = Fn.select(STACK_ID_PARTS.uuid, Fn.split(STACK_ID_PARTS.separator, Aws.STACK_ID));
  return keySecretNamePrefix(Aws.STACK_NAME, stackUuid);
}

export class HandlerPolicy {
  /** Every key secret of the stack, by name prefix. */
  private readonly keySecrets: string;
  /** The statement every handler's role holds that grows as keys are added: their buckets. */
  private readonly keyStatement = new iam.PolicyStatement({
    actions: ['lightsail:CreateBucketAccessKey', 'lightsail:DeleteBucketAccessKey'],
  });
  private readonly buckets = new Set<string>();

  /**
   * @param scope the construct that holds the handlers: it takes the warnings and names the wildcard resources
   * @param acknowledge records the acknowledgement of a wildcard resource added later (every bucket)
   */
  constructor(
    private readonly scope: IConstruct,
    private readonly acknowledge: (acknowledgements: readonly Acknowledgement[]) => void,
  ) {
    this.keySecrets = Stack.of(scope).formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${secretNamePrefix()}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  /** The statements of one handler's role, `logGroupArn` being the handlers' log group. */
  public statements(kind: HandlerKind, logGroupArn: string): iam.PolicyStatement[] {
    const secretActions =
      kind === 'customResource'
        ? // Only to read the record of keys of a secret scheduled for deletion outside CloudFormation, on Delete.
          [...SECRET_ACTIONS, 'secretsmanager:RestoreSecret']
        : SECRET_ACTIONS;
    return [
      new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroupArn] }),
      // GetBucketAccessKeys, GetBuckets and GetOperation have no resource type in IAM: they take "*".
      new iam.PolicyStatement({
        actions: ['lightsail:GetBucketAccessKeys', 'lightsail:GetBuckets', 'lightsail:GetOperation'],
        resources: ['*'],
      }),
      new iam.PolicyStatement({ actions: secretActions, resources: [this.keySecrets] }),
      this.keyStatement,
      this.kmsStatement(),
      // The grace-period schedule finds the stack's key secrets that have a grace period by their name prefix and
      // tag. ListSecrets takes no resource (IAM: "*"); it lists names and tags, never values.
      ...(kind === 'rotation'
        ? [new iam.PolicyStatement({ actions: ['secretsmanager:ListSecrets'], resources: ['*'] })]
        : []),
    ];
  }

  /** The wildcard resources every role holds from the start, with their reasons: the key secrets, any KMS key. */
  public wildcardAcknowledgements(): Acknowledgement[] {
    return [
      wildcardResource(this.scope, this.keySecrets, WILDCARD_REASONS.keySecrets),
      wildcardResource(this.scope, this.anyKmsKeyArn, WILDCARD_REASONS.kmsKeys),
    ];
  }

  /**
   * Lets the handlers create and delete keys of a bucket whose ARN is known (a CfnBucket in this app). Past
   * MAX_NAMED_BUCKETS, the statement names every bucket of the account and region instead of growing further.
   */
  public grantBucket(bucketArn: string): void {
    if (this.buckets.has(bucketArn) || this.buckets.has(this.anyBucketArn)) return;
    if (this.buckets.size < MAX_NAMED_BUCKETS) {
      this.addBucketResource(bucketArn);
      return;
    }
    warnOfManyBuckets(this.scope, MAX_NAMED_BUCKETS);
    this.grantAnyBucket(WILDCARD_REASONS.manyBuckets(MAX_NAMED_BUCKETS));
  }

  /** For a bucket known only by name: any bucket of this account and region (Lightsail ARNs hold an id, not the name). */
  public grantBucketByName(): void {
    this.grantAnyBucket(WILDCARD_REASONS.bucketByName);
  }

  private get anyBucketArn(): string {
    return Stack.of(this.scope).formatArn({
      service: 'lightsail',
      resource: 'Bucket',
      resourceName: '*',
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }

  private grantAnyBucket(reason: string): void {
    const anyBucket = this.anyBucketArn;
    if (this.buckets.has(anyBucket)) return;
    this.addBucketResource(anyBucket);
    this.acknowledge([wildcardResource(this.scope, anyBucket, reason)]);
  }

  private addBucketResource(bucketArn: string): void {
    this.buckets.add(bucketArn);
    this.keyStatement.addResources(bucketArn);
  }

  /**
   * Using any KMS key that encrypts one of this stack's key secrets, through Secrets Manager only: Secrets Manager
   * calls KMS with the secret's ARN in the encryption context ("Secret encryption and decryption", Secrets Manager
   * user guide), which scopes the grant to the stack's key secrets. Every version the lineage ever wrote stays
   * readable when `encryptionKey` changes (Secrets Manager re-encrypts only the current, pending and previous
   * versions), and the statement has the same size however many keys the stack has. The key's own policy must allow
   * the account's IAM policies, as a KMS key's default policy does.
   */
  private kmsStatement(): iam.PolicyStatement {
    return new iam.PolicyStatement({
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: [this.anyKmsKeyArn],
      conditions: {
        StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` },
        StringLike: { 'kms:EncryptionContext:SecretARN': this.keySecrets },
      },
    });
  }

  private get anyKmsKeyArn(): string {
    return Stack.of(this.scope).formatArn({ service: 'kms', account: '*', resource: 'key', resourceName: '*' });
  }
}
