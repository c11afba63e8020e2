/**
 * The handlers every BucketAccessKey of a stack shares: the custom resource handler, and the rotation handler once
 * a key rotates. Each is one Lambda function with its own role; they share one log group. Each key adds only what
 * it needs to the roles (its bucket): the policies grow with the number of distinct buckets, not keys. Where the
 * functions run is vpc-placement.ts's.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ArnFormat, Aws, Duration, Fn, Lazy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, type IConstruct } from 'constructs';
import {
  type Acknowledgement,
  WILDCARD_REASONS,
  acknowledge,
  handlerAcknowledgements,
  suppressForCdkNag2,
  wildcardResource,
} from './acknowledgements';
import {
  GRACE_PERIODS_FIELD,
  type GracePeriodEvent,
  STACK_ID_PARTS,
  TIME_BUDGET,
  keySecretNamePrefix,
} from './contract';
import { fail } from './errors';
import {
  type HandlerNetwork,
  type Placement,
  allowHttpsOut,
  checkSamePlacement,
  functionNetwork,
  placementOf,
  placementStatements,
} from './vpc-placement';
import { warnOfIsolatedSubnets, warnOfManyBuckets, warnOfRegionWithoutLightsail } from './warnings';

/** Where the build puts the pre-bundled handlers (see scripts/bundle-handlers.mjs). */
export const ASSETS_DIR = path.join(__dirname, '..', 'assets');
export const HANDLER_ASSET_DIR = path.join(ASSETS_DIR, 'bucket-access-key-handler');
export const ROTATION_ASSET_DIR = path.join(ASSETS_DIR, 'rotation-handler');

const PROVIDER_ID = 'LightsailBucketAccessKeyProvider';
const DEFAULT_LOG_RETENTION = logs.RetentionDays.ONE_YEAR;

/** Both handlers' Lambda timeout, and how long CloudFormation waits for a key's answer (contract.ts, TIME_BUDGET). */
export const HANDLER_TIMEOUT = Duration.seconds(TIME_BUDGET.handlerTimeoutSeconds);
export const KEY_SERVICE_TIMEOUT = Duration.seconds(TIME_BUDGET.serviceTimeoutSeconds);

/**
 * Bucket ARNs the handlers' key statement names one by one. A resolved ARN takes about 85 characters; 40 of them
 * keep the statement well within 6,144, the most a managed policy holds (aws-cdk-lib moves a statement there when
 * the role's inline policy would be too large, and never splits a statement).
 */
const MAX_NAMED_BUCKETS = 40;

export class BucketAccessKeyProvider extends Construct {
  /**
   * The stack's provider, created on first use by `key`, in the VPC of its `network` if it has one. Every later key
   * that sets a VPC must give the same placement (`checkSamePlacement`).
   */
  public static of(key: Construct, network: HandlerNetwork = {}): BucketAccessKeyProvider {
    const stack = Stack.of(key);
    const placement = placementOf(key, network);
    const existing = stack.node.tryFindChild(PROVIDER_ID);
    if (!(existing instanceof BucketAccessKeyProvider)) {
      return new BucketAccessKeyProvider(stack, PROVIDER_ID, key.node.path, placement);
    }
    checkSamePlacement(existing.placement, existing.createdBy, placement, key);
    return existing;
  }

  /** Name prefix of the stack's key secrets, as the stack is deployed: the handlers may touch these and no others. */
  public static secretNamePrefix(): string {
    const stackUuid = Fn.select(STACK_ID_PARTS.uuid, Fn.split(STACK_ID_PARTS.separator, Aws.STACK_ID));
    return keySecretNamePrefix(Aws.STACK_NAME, stackUuid);
  }

  public readonly function: lambda.Function;
  private readonly logGroup: logs.LogGroup;
  private readonly keySecrets: string;
  /** Statements every handler's role holds, which grow as keys are added: the buckets, then the KMS keys. */
  private readonly keyStatement = new iam.PolicyStatement({
    actions: ['lightsail:CreateBucketAccessKey', 'lightsail:DeleteBucketAccessKey'],
  });
  private rotation: lambda.Function | undefined;
  private gracePeriodSchedule: events.Rule | undefined;
  private readonly buckets = new Set<string>();
  private logRetention: { days: logs.RetentionDays; by: string } | undefined;
  /** The handlers' VPC placement; none outside a VPC. */
  private readonly placement: Placement | undefined;
  /** The key that created the provider, and with it the handlers. */
  private readonly createdBy: string;
  /** Every acknowledgement made on the provider: cdk-nag 2 reads them from each resource, also those added later. */
  private readonly acknowledged: Acknowledgement[] = [];

  private constructor(scope: Stack, id: string, createdBy: string, placement: Placement | undefined) {
    super(scope, id);
    this.placement = placement;
    this.createdBy = createdBy;
    if (placement?.isolated) warnOfIsolatedSubnets(this);
    this.logGroup = new logs.LogGroup(this, 'LogGroup', { retention: DEFAULT_LOG_RETENTION });
    // Any key of the stack may set the retention, after the log group exists.
    (this.logGroup.node.defaultChild as logs.CfnLogGroup).retentionInDays = Lazy.any({
      produce: () => {
        const days = this.logRetention?.days ?? DEFAULT_LOG_RETENTION;
        return days === logs.RetentionDays.INFINITE ? undefined : days;
      },
    }) as unknown as number;
    warnOfRegionWithoutLightsail(this);
    this.keySecrets = Stack.of(this).formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${BucketAccessKeyProvider.secretNamePrefix()}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    this.function = this.newHandler('', HANDLER_ASSET_DIR, {
      description: 'Lightsail bucket access keys for this stack (BucketAccessKey custom resources)',
      secretActions: [
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
        'secretsmanager:PutSecretValue',
        'secretsmanager:ListSecretVersionIds',
        // Owner labels, and taking AWSPENDING off a rotation it ends.
        'secretsmanager:UpdateSecretVersionStage',
        // Only to read the record of keys of a secret scheduled for deletion outside CloudFormation, on Delete.
        'secretsmanager:RestoreSecret',
      ],
      timeout: HANDLER_TIMEOUT,
    });
    // The role's policy is a dependency of the function, and every key's custom resource references the function,
    // so CloudFormation deletes the keys before it deletes the permissions their Delete needs.
    this.acknowledge([
      ...handlerAcknowledgements(placement !== undefined),
      wildcardResource(this, this.keySecrets, WILDCARD_REASONS.keySecrets),
      wildcardResource(this, this.anyKmsKeyArn, WILDCARD_REASONS.kmsKeys),
    ]);
  }

  private acknowledge(acknowledgements: readonly Acknowledgement[]): void {
    acknowledge(this, acknowledgements);
    this.acknowledged.push(...acknowledgements);
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
    warnOfManyBuckets(this, MAX_NAMED_BUCKETS);
    this.grantAnyBucket(WILDCARD_REASONS.manyBuckets(MAX_NAMED_BUCKETS));
  }

  /** For a bucket known only by name: any bucket of this account and region (Lightsail ARNs hold an id, not the name). */
  public grantBucketByName(): void {
    this.grantAnyBucket(WILDCARD_REASONS.bucketByName);
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
    this.acknowledge([wildcardResource(this, anyBucket, reason)]);
  }

  private addBucketResource(bucketArn: string): void {
    this.buckets.add(bucketArn);
    this.keyStatement.addResources(bucketArn);
  }

  /** Sets the handlers' log retention; every key of the stack that sets it must agree. */
  public useLogRetention(days: logs.RetentionDays, key: IConstruct): void {
    if (this.logRetention && this.logRetention.days !== days) {
      fail(
        key,
        `logRetention ${days} differs from ${this.logRetention.days}, set by ${this.logRetention.by}. The keys of a ` +
          'stack share one handler and its log group: give them the same value.',
      );
    }
    this.logRetention = { days, by: key.node.path };
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
        timeout: HANDLER_TIMEOUT,
        // The grace-period schedule finds the stack's key secrets that have a grace period by their name prefix and
        // tag. ListSecrets takes no resource (IAM: "*"); it lists names and tags, never values.
        otherStatements: [new iam.PolicyStatement({ actions: ['secretsmanager:ListSecrets'], resources: ['*'] })],
      });
      this.rotation.addPermission('InvokedBySecretsManager', {
        principal: new iam.ServicePrincipal('secretsmanager.amazonaws.com'),
        sourceAccount: Aws.ACCOUNT_ID,
      });
      suppressForCdkNag2(this, this.acknowledged);
    }
    return this.rotation;
  }

  /**
   * Ends rotated-out keys' grace periods within an hour of their end: one hourly schedule per stack asks the rotation
   * handler to check the stack's key secrets that have a grace period (their tag). Its input names the secrets' name
   * prefix, not the secrets: the same few characters however many keys the stack has.
   */
  public expireGracePeriods(): void {
    if (this.gracePeriodSchedule) return;
    const event: GracePeriodEvent = {
      [GRACE_PERIODS_FIELD]: { secretNamePrefix: BucketAccessKeyProvider.secretNamePrefix() },
    };
    this.gracePeriodSchedule = new events.Rule(this, 'GracePeriodSchedule', {
      description: 'Ends the grace period of rotated-out Lightsail bucket access keys',
      schedule: events.Schedule.rate(Duration.hours(1)),
      targets: [
        new targets.LambdaFunction(this.rotationFunction(), { event: events.RuleTargetInput.fromObject(event) }),
      ],
    });
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
    return Stack.of(this).formatArn({ service: 'kms', account: '*', resource: 'key', resourceName: '*' });
  }

  private newHandler(
    prefix: string,
    assetDir: string,
    options: {
      description: string;
      secretActions: string[];
      timeout: Duration;
      otherStatements?: iam.PolicyStatement[];
    },
  ): lambda.Function {
    if (!fs.existsSync(path.join(assetDir, 'index.js'))) {
      fail(
        this,
        `the pre-bundled handler is missing at ${assetDir}. The published package ships it; in a checkout of the ` +
          'repository, run `npm run bundle` first.',
      );
    }
    const role = new iam.Role(this, `${prefix}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: options.description,
    });
    for (const statement of [
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
      // GetBucketAccessKeys, GetBuckets and GetOperation have no resource type in IAM: they take "*".
      new iam.PolicyStatement({
        actions: ['lightsail:GetBucketAccessKeys', 'lightsail:GetBuckets', 'lightsail:GetOperation'],
        resources: ['*'],
      }),
      new iam.PolicyStatement({ actions: options.secretActions, resources: [this.keySecrets] }),
      this.keyStatement,
      this.kmsStatement(),
      ...(options.otherStatements ?? []),
      ...placementStatements(this.placement),
    ]) {
      role.addToPrincipalPolicy(statement);
    }
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
      ...functionNetwork(this.placement),
    });
    allowHttpsOut(fn, this.placement);
    return fn;
  }
}
