/**
 * The handlers every BucketAccessKey of a stack shares: the custom resource handler, and the rotation handler once
 * a key rotates. Each is one Lambda function with its own role; they share one log group. Each key adds only what
 * it needs to the roles (its bucket): the policies grow with the number of distinct buckets, not keys. What the
 * roles hold is handler-policy.ts's; where the functions run, vpc-placement.ts's.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Aws, Duration, Lazy, Stack } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, type IConstruct } from 'constructs';
import { type Acknowledgement, acknowledge, handlerAcknowledgements, suppressForCdkNag2 } from './acknowledgements';
import { TIME_BUDGET } from './contract';
import { fail } from './errors';
import { gracePeriodSchedule } from './grace-period-schedule';
import { type HandlerKind, HandlerPolicy } from './handler-policy';
import {
  type HandlerNetwork,
  type Placement,
  allowHttpsOut,
  checkSamePlacement,
  functionNetwork,
  placementOf,
  placementStatements,
} from './vpc-placement';
import { warnOfIsolatedSubnets, warnOfRegionWithoutLightsail } from './warnings';

/** Where the build puts the pre-bundled handlers (see scripts/bundle-handlers.mjs). */
export const ASSETS_DIR = path.join(__dirname, '..', 'assets');
export const HANDLER_ASSET_DIR = path.join(ASSETS_DIR, 'bucket-access-key-handler');
export const ROTATION_ASSET_DIR = path.join(ASSETS_DIR, 'rotation-handler');

const PROVIDER_ID = 'LightsailBucketAccessKeyProvider';
const DEFAULT_LOG_RETENTION = logs.RetentionDays.ONE_YEAR;

/** Both handlers' Lambda timeout, and how long CloudFormation waits for a key's answer (contract.ts, TIME_BUDGET). */
export const HANDLER_TIMEOUT = Duration.seconds(TIME_BUDGET.handlerTimeoutSeconds);
export const KEY_SERVICE_TIMEOUT = Duration.seconds(TIME_BUDGET.serviceTimeoutSeconds);

/** Each handler's bundle and description, and the prefix of its construct ids (API: construct-ids.test.ts). */
const HANDLERS: Record<HandlerKind, { idPrefix: string; assetDir: string; description: string }> = {
  customResource: {
    idPrefix: '',
    assetDir: HANDLER_ASSET_DIR,
    description: 'Lightsail bucket access keys for this stack (BucketAccessKey custom resources)',
  },
  rotation: {
    idPrefix: 'Rotation',
    assetDir: ROTATION_ASSET_DIR,
    description: 'Rotates the Lightsail bucket access keys of this stack (BucketAccessKey secrets)',
  },
};

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

  /** The custom resource handler. */
  public readonly function: lambda.Function;
  /** What the handlers' roles hold; a key adds its bucket. */
  public readonly policy: HandlerPolicy;
  private readonly logGroup: logs.LogGroup;
  private rotation: lambda.Function | undefined;
  private gracePeriodSchedule: events.Rule | undefined;
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
    this.policy = new HandlerPolicy(this, (acknowledgements) => this.acknowledge(acknowledgements));

    this.function = this.newHandler('customResource');
    // The role's policy is a dependency of the function, and every key's custom resource references the function,
    // so CloudFormation deletes the keys before it deletes the permissions their Delete needs.
    this.acknowledge([...handlerAcknowledgements(placement !== undefined), ...this.policy.wildcardAcknowledgements()]);
  }

  private acknowledge(acknowledgements: readonly Acknowledgement[]): void {
    acknowledge(this, acknowledgements);
    this.acknowledged.push(...acknowledgements);
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
      this.rotation = this.newHandler('rotation');
      this.rotation.addPermission('InvokedBySecretsManager', {
        principal: new iam.ServicePrincipal('secretsmanager.amazonaws.com'),
        sourceAccount: Aws.ACCOUNT_ID,
      });
      suppressForCdkNag2(this, this.acknowledged);
    }
    return this.rotation;
  }

  /** Ends rotated-out keys' grace periods within an hour of their end: one hourly schedule per stack. */
  public expireGracePeriods(): void {
    this.gracePeriodSchedule ??= gracePeriodSchedule(this, this.rotationFunction());
  }

  /** A handler function, with its own role. */
  private newHandler(kind: HandlerKind): lambda.Function {
    const { idPrefix, assetDir, description } = HANDLERS[kind];
    if (!fs.existsSync(path.join(assetDir, 'index.js'))) {
      fail(
        this,
        `the pre-bundled handler is missing at ${assetDir}. The published package ships it; in a checkout of the ` +
          'repository, run `npm run bundle` first.',
      );
    }
    const role = new iam.Role(this, `${idPrefix}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description,
    });
    for (const statement of [
      ...this.policy.statements(kind, this.logGroup.logGroupArn),
      ...placementStatements(this.placement),
    ]) {
      role.addToPrincipalPolicy(statement);
    }
    const fn = new lambda.Function(this, `${idPrefix}Handler`, {
      description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      code: lambda.Code.fromAsset(assetDir),
      handler: 'index.handler',
      role,
      logGroup: this.logGroup,
      memorySize: 256,
      timeout: HANDLER_TIMEOUT,
      ...functionNetwork(this.placement),
    });
    allowHttpsOut(fn, this.placement);
    return fn;
  }
}
