/**
 * The handler every BucketAccessKey of a stack shares: one Lambda function, its role and its log group. Each key
 * adds only what it needs to the role (its bucket, its KMS key); the policy stays one document whose size grows
 * with the number of distinct buckets, not keys.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ArnFormat, Aws, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge, wildcardResourceRule } from './acknowledgements';
import { SECRET_NAME_PREFIX } from './contract';

/** Where the build puts the pre-bundled handler (see scripts/bundle-handlers.mjs). */
export const HANDLER_ASSET_DIR = path.join(__dirname, '..', 'assets', 'bucket-access-key-handler');

const PROVIDER_ID = 'LightsailBucketAccessKeyProvider';

export class BucketAccessKeyProvider extends Construct {
  /** The stack's provider, created on first use. */
  public static of(scope: Construct): BucketAccessKeyProvider {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(PROVIDER_ID);
    return existing instanceof BucketAccessKeyProvider ? existing : new BucketAccessKeyProvider(stack, PROVIDER_ID);
  }

  /** Name prefix of the stack's key secrets: the handler may touch these secrets and no others. */
  public static secretNamePrefix(scope: Construct): string {
    return `${SECRET_NAME_PREFIX}${Stack.of(scope).stackName}/`;
  }

  public readonly function: lambda.Function;
  public readonly role: iam.Role;
  private readonly keyStatement: iam.PolicyStatement;
  private readonly grantedBuckets = new Set<string>();
  private readonly grantedKeys = new Set<kms.IKey>();

  private constructor(scope: Stack, id: string) {
    super(scope, id);
    if (!fs.existsSync(path.join(HANDLER_ASSET_DIR, 'index.js'))) {
      throw new Error(
        `The pre-bundled BucketAccessKey handler is missing at ${HANDLER_ASSET_DIR}. ` +
          'The published package ships it; in a checkout of the repository, run `npm run build` first.',
      );
    }

    const logGroup = new logs.LogGroup(this, 'LogGroup', { retention: logs.RetentionDays.ONE_YEAR });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Creates and deletes Lightsail bucket access keys and writes them into their secrets',
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    // GetBucketAccessKeys and GetBuckets have no resource type in IAM: they take "*".
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['lightsail:GetBucketAccessKeys', 'lightsail:GetBuckets'],
        resources: ['*'],
      }),
    );
    const keySecrets = Stack.of(this).formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${BucketAccessKeyProvider.secretNamePrefix(this)}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'secretsmanager:GetSecretValue',
          'secretsmanager:PutSecretValue',
          'secretsmanager:ListSecretVersionIds',
          // Only to read the record of keys of a secret scheduled for deletion outside CloudFormation, on Delete.
          'secretsmanager:RestoreSecret',
        ],
        resources: [keySecrets],
      }),
    );
    this.keyStatement = new iam.PolicyStatement({
      actions: ['lightsail:CreateBucketAccessKey', 'lightsail:DeleteBucketAccessKey'],
    });
    this.role.addToPrincipalPolicy(this.keyStatement);

    this.function = new lambda.Function(this, 'Handler', {
      description: 'Lightsail bucket access keys for this stack (BucketAccessKey custom resources)',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      code: lambda.Code.fromAsset(HANDLER_ASSET_DIR),
      handler: 'index.handler',
      role: this.role,
      logGroup,
      memorySize: 256,
      timeout: Duration.minutes(5),
    });
    // The role's policy is a dependency of the function, and every key's custom resource references the function,
    // so CloudFormation deletes the keys before it deletes the permissions their Delete needs.

    acknowledge(this, 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      'lightsail:GetBucketAccessKeys and lightsail:GetBuckets have no resource type in IAM and take only "*"; both only read.');
    acknowledge(this, wildcardResourceRule(this, keySecrets),
      "Scoped to this stack's BucketAccessKey secrets by name prefix: listing each secret would grow the policy with every key, past IAM's size limit for large stacks.");
    acknowledge(this, 'NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy',
      "The policy belongs to this function's role alone. Inline it may hold 10,240 characters, which one bucket ARN per bucket needs at scale; a managed policy holds 6,144.");
    acknowledge(this, 'NIST.800.53.R5::NIST.800.53.R5-LambdaConcurrency',
      'Invoked only by CloudFormation, once per key event. Reserved concurrency would take from the account\'s unreserved pool and could throttle a deploy of many keys.');
    acknowledge(this, 'NIST.800.53.R5::NIST.800.53.R5-LambdaDLQ',
      'Every event is answered to CloudFormation, failures included; an invocation that fails is retried by Lambda and then fails the stack operation. A dead-letter queue would hold nothing to redrive.');
    acknowledge(this, 'NIST.800.53.R5::NIST.800.53.R5-LambdaInsideVPC',
      'The function calls only the Lightsail and Secrets Manager APIs and reaches no resource in a VPC; in a VPC it would need NAT or interface endpoints.');
    acknowledge(this, 'NIST.800.53.R5::NIST.800.53.R5-CloudWatchLogGroupEncrypted',
      'The handler logs request types, ids, outcomes and timings: never a secret (tests search its logs for every secret generated). CloudWatch Logs encrypts log data at rest.');
  }

  /** Lets the handler create and delete keys of a bucket whose ARN is known (a CfnBucket in this app). */
  public grantBucket(bucketArn: string): void {
    if (this.grantedBuckets.has(bucketArn)) return;
    this.grantedBuckets.add(bucketArn);
    this.keyStatement.addResources(bucketArn);
  }

  /** For a bucket known only by name: any bucket of this account and region (Lightsail ARNs hold an id, not the name). */
  public grantBucketByName(): void {
    const anyBucket = Stack.of(this).formatArn({
      service: 'lightsail',
      resource: 'Bucket',
      resourceName: '*',
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    if (this.grantedBuckets.has(anyBucket)) return;
    this.grantBucket(anyBucket);
    acknowledge(this, wildcardResourceRule(this, anyBucket),
      'A bucket given by name only: Lightsail bucket ARNs hold an id, not the name, so no ARN can name it. Pass the CfnBucket as `bucket` to scope this to its ARN.');
  }

  /** Lets the handler write and read secrets encrypted with a customer-managed KMS key, through Secrets Manager only. */
  public grantEncryptionKey(key: kms.IKey): void {
    if (this.grantedKeys.has(key)) return;
    this.grantedKeys.add(key);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` } },
      }),
    );
  }
}
