/**
 * The handlers every BucketAccessKey of a stack shares: the custom resource handler, and the rotation handler once
 * a key rotates. Each is one Lambda function with its own role; they share one log group. Each key adds only what
 * it needs to the roles (its bucket, its KMS key): the policies grow with the number of distinct buckets, not keys.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Annotations, ArnFormat, Aws, Duration, Fn, Lazy, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge, wildcardResourceRule } from './acknowledgements';
import { keySecretNamePrefix } from './contract';
import { regionProblem } from './validation';

/** Where the build puts the pre-bundled handlers (see scripts/bundle-handlers.mjs). */
export const ASSETS_DIR = path.join(__dirname, '..', 'assets');
export const HANDLER_ASSET_DIR = path.join(ASSETS_DIR, 'bucket-access-key-handler');
export const ROTATION_ASSET_DIR = path.join(ASSETS_DIR, 'rotation-handler');

const PROVIDER_ID = 'LightsailBucketAccessKeyProvider';
const DEFAULT_LOG_RETENTION = logs.RetentionDays.ONE_YEAR;

/**
 * Bucket ARNs the handlers' key statement names one by one. A resolved ARN takes about 85 characters; 40 of them
 * keep the statement well within 6,144, the most a managed policy holds (aws-cdk-lib moves a statement there when
 * the role's inline policy would be too large, and never splits a statement).
 */
const MAX_NAMED_BUCKETS = 40;

/** A handler function and the statements that grow as keys are added. */
interface Handler {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly keyStatement: iam.PolicyStatement;
}

export class BucketAccessKeyProvider extends Construct {
  /** The stack's provider, created on first use. */
  public static of(scope: Construct): BucketAccessKeyProvider {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(PROVIDER_ID);
    return existing instanceof BucketAccessKeyProvider ? existing : new BucketAccessKeyProvider(stack, PROVIDER_ID);
  }

  /** Name prefix of the stack's key secrets: the handlers may touch these secrets and no others. */
  public static secretNamePrefix(scope: Construct): string {
    // AWS::StackId is arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<uuid>.
    return keySecretNamePrefix(Stack.of(scope).stackName, Fn.select(2, Fn.split('/', Aws.STACK_ID)));
  }

  public readonly function: lambda.Function;
  private readonly logGroup: logs.LogGroup;
  private readonly keySecrets: string;
  private readonly handlers: Handler[] = [];
  private rotation: Handler | undefined;
  private readonly buckets = new Set<string>();
  private readonly encryptionKeys = new Set<kms.IKey>();
  private readonly gracePeriods: Array<{ secretArn: string; gracePeriodSeconds: number }> = [];
  private logRetention: { days: logs.RetentionDays; by: string } | undefined;

  private constructor(scope: Stack, id: string) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'LogGroup', { retention: DEFAULT_LOG_RETENTION });
    // Any key of the stack may set the retention, after the log group exists.
    (this.logGroup.node.defaultChild as logs.CfnLogGroup).retentionInDays = Lazy.any({
      produce: () => {
        const days = this.logRetention?.days ?? DEFAULT_LOG_RETENTION;
        return days === logs.RetentionDays.INFINITE ? undefined : days;
      },
    }) as unknown as number;
    this.warnOfRegionWithoutLightsail();
    this.keySecrets = Stack.of(this).formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${BucketAccessKeyProvider.secretNamePrefix(this)}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    const handler = this.newHandler('', HANDLER_ASSET_DIR, {
      description: 'Lightsail bucket access keys for this stack (BucketAccessKey custom resources)',
      secretActions: [
        'secretsmanager:GetSecretValue',
        'secretsmanager:PutSecretValue',
        'secretsmanager:ListSecretVersionIds',
        // Only to read the record of keys of a secret scheduled for deletion outside CloudFormation, on Delete.
        'secretsmanager:RestoreSecret',
      ],
      timeout: Duration.minutes(5),
    });
    this.function = handler.function;
    // The role's policy is a dependency of the function, and every key's custom resource references the function,
    // so CloudFormation deletes the keys before it deletes the permissions their Delete needs.

    acknowledge(
      this,
      'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      'lightsail:GetBucketAccessKeys and lightsail:GetBuckets have no resource type in IAM and take only "*"; both only read.',
    );
    acknowledge(
      this,
      wildcardResourceRule(this, this.keySecrets),
      "Scoped to this stack's BucketAccessKey secrets by name prefix: listing each secret would grow the policy with every key, past IAM's size limit for large stacks.",
    );
    acknowledge(
      this,
      'NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy',
      "Each policy belongs to one handler's role alone. Inline it may hold 10,240 characters, which one bucket ARN per bucket needs at scale; a managed policy holds 6,144.",
    );
    acknowledge(
      this,
      'NIST.800.53.R5::NIST.800.53.R5-LambdaConcurrency',
      "Invoked only by CloudFormation and Secrets Manager, once per key event. Reserved concurrency would take from the account's unreserved pool and could throttle a deploy of many keys.",
    );
    acknowledge(
      this,
      'NIST.800.53.R5::NIST.800.53.R5-LambdaDLQ',
      'Every custom resource event is answered to CloudFormation, failures included, and a failed rotation step is retried by Secrets Manager. A dead-letter queue would hold nothing to redrive.',
    );
    acknowledge(
      this,
      'NIST.800.53.R5::NIST.800.53.R5-LambdaInsideVPC',
      'The functions call only the Lightsail and Secrets Manager APIs and reach no resource in a VPC; in a VPC they would need NAT or interface endpoints.',
    );
    acknowledge(
      this,
      'NIST.800.53.R5::NIST.800.53.R5-CloudWatchLogGroupEncrypted',
      'The handlers log request types, ids, outcomes and timings: never a secret (tests search their logs for every secret generated). CloudWatch Logs encrypts log data at rest.',
    );
  }

  /** Once per stack, when its region is known: a warning, since AWS adds regions that this list does not know yet. */
  private warnOfRegionWithoutLightsail(): void {
    const region = Stack.of(this).region;
    const problem = Token.isUnresolved(region) ? undefined : regionProblem(region);
    if (!problem) return;
    Annotations.of(this).addWarningV2(
      'cdk-lightsail-bucket-access-key:regionWithoutLightsail',
      `${problem}: Lightsail buckets and their access keys exist only in its regions, so this stack's keys would ` +
        `fail at deploy time. Deploy the stack to the region of its buckets or, if Lightsail has added ${region} ` +
        'since, acknowledge this warning.',
    );
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
    Annotations.of(this).addWarningV2(
      'cdk-lightsail-bucket-access-key:manyBuckets',
      `Keys of more than ${MAX_NAMED_BUCKETS} CfnBuckets in this stack: the handlers may create and delete keys of ` +
        "any Lightsail bucket in the stack's account and region, as one ARN per bucket would exceed IAM's policy " +
        'size quota. Split the buckets across stacks to keep the permission scoped to each bucket.',
    );
    this.grantAnyBucket(
      `Keys of more than ${MAX_NAMED_BUCKETS} buckets: one ARN per bucket would exceed IAM's policy size quota (about 85 characters each; 6,144 for a managed policy, where aws-cdk-lib moves a statement that does not fit inline). A synth warning says so.`,
    );
  }

  /** For a bucket known only by name: any bucket of this account and region (Lightsail ARNs hold an id, not the name). */
  public grantBucketByName(): void {
    this.grantAnyBucket(
      'A bucket given by name only: Lightsail bucket ARNs hold an id, not the name, so no ARN can name it. Pass the CfnBucket as `bucket` to scope this to its ARN.',
    );
  }

  private get anyBucketArn(): string {
    return Stack.of(this).formatArn({
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
    acknowledge(this, wildcardResourceRule(this, anyBucket), reason);
  }

  private addBucketResource(bucketArn: string): void {
    this.buckets.add(bucketArn);
    for (const handler of this.handlers) handler.keyStatement.addResources(bucketArn);
  }

  /** Lets the handlers write and read secrets encrypted with a customer-managed KMS key, through Secrets Manager only. */
  public grantEncryptionKey(key: kms.IKey): void {
    if (this.encryptionKeys.has(key)) return;
    this.encryptionKeys.add(key);
    for (const handler of this.handlers) grantKeyUse(handler.role, key);
  }

  /** Sets the handlers' log retention; every key of the stack that sets it must agree. */
  public useLogRetention(days: logs.RetentionDays, requester: string): void {
    if (this.logRetention && this.logRetention.days !== days) {
      throw new Error(
        `BucketAccessKey ${requester}: logRetention ${days} differs from ${this.logRetention.days}, set by ` +
          `${this.logRetention.by}. The keys of a stack share one handler and its log group: give them the same value.`,
      );
    }
    this.logRetention = { days, by: requester };
  }

  /** The rotation handler, created with the first rotating key, and allowed to be invoked by Secrets Manager. */
  public rotationFunction(): lambda.Function {
    if (!this.rotation) {
      this.rotation = this.newHandler('Rotation', ROTATION_ASSET_DIR, {
        description: 'Rotates the Lightsail bucket access keys of this stack (BucketAccessKey secrets)',
        secretActions: [
          'secretsmanager:DescribeSecret',
          'secretsmanager:GetSecretValue',
          'secretsmanager:PutSecretValue',
          'secretsmanager:ListSecretVersionIds',
          'secretsmanager:UpdateSecretVersionStage',
        ],
        // As long as the custom resource handler's: both retry throttled calls for minutes (see lambda/shared/aws.ts).
        timeout: Duration.minutes(5),
      });
      this.rotation.function.addPermission('InvokedBySecretsManager', {
        principal: new iam.ServicePrincipal('secretsmanager.amazonaws.com'),
        sourceAccount: Aws.ACCOUNT_ID,
      });
    }
    return this.rotation.function;
  }

  /**
   * Ends a rotated-out key's grace period within an hour of its end: one hourly schedule per stack asks the
   * rotation handler to check every key that has a grace period.
   */
  public expireGracePeriod(secretArn: string, gracePeriod: Duration): void {
    if (this.gracePeriods.length === 0) {
      new events.Rule(this, 'GracePeriodSchedule', {
        description: 'Ends the grace period of rotated-out Lightsail bucket access keys',
        schedule: events.Schedule.rate(Duration.hours(1)),
        targets: [
          new targets.LambdaFunction(this.rotationFunction(), {
            event: events.RuleTargetInput.fromObject({
              expireGracePeriods: Lazy.any({ produce: () => this.gracePeriods }),
            }),
          }),
        ],
      });
    }
    this.gracePeriods.push({ secretArn, gracePeriodSeconds: gracePeriod.toSeconds() });
  }

  private newHandler(
    prefix: string,
    assetDir: string,
    options: { description: string; secretActions: string[]; timeout: Duration },
  ): Handler {
    if (!fs.existsSync(path.join(assetDir, 'index.js'))) {
      throw new Error(
        `The pre-bundled handler is missing at ${assetDir}. The published package ships it; in a checkout of the ` +
          'repository, run `npm run bundle` first.',
      );
    }
    const role = new iam.Role(this, `${prefix}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: options.description,
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    // GetBucketAccessKeys and GetBuckets have no resource type in IAM: they take "*".
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['lightsail:GetBucketAccessKeys', 'lightsail:GetBuckets'], resources: ['*'] }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: options.secretActions, resources: [this.keySecrets] }),
    );
    const keyStatement = new iam.PolicyStatement({
      actions: ['lightsail:CreateBucketAccessKey', 'lightsail:DeleteBucketAccessKey'],
      resources: [...this.buckets],
    });
    role.addToPrincipalPolicy(keyStatement);
    for (const key of this.encryptionKeys) grantKeyUse(role, key);

    const fn = new lambda.Function(this, `${prefix}Handler`, {
      description: options.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      code: lambda.Code.fromAsset(assetDir),
      handler: 'index.handler',
      role,
      logGroup: this.logGroup,
      memorySize: 256,
      timeout: options.timeout,
    });
    const handler = { function: fn, role, keyStatement };
    this.handlers.push(handler);
    return handler;
  }
}

function grantKeyUse(role: iam.Role, key: kms.IKey): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: [key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` } },
    }),
  );
}
