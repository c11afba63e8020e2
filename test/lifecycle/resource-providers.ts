/**
 * What CloudFormation's resource providers do for the AWS resource types of this project's templates (each
 * behaviour with its source in test/lifecycle/README.md). Custom resources and the simulator's tripwire are
 * CloudFormation's own business (cloudformation.ts); types not listed here are recorded without behaviour.
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { AwsFake } from '../fakes/aws-fake';
import type { FunctionConfig, LambdaService } from './lambda-service';
import type { RotationService } from './secrets-manager-rotation';
import type { ResolvedResource, StackContext, TemplateResource } from './template';

export interface DeployedResource extends ResolvedResource {
  readonly logicalId: string;
  readonly definition: TemplateResource;
  readonly properties: Record<string, unknown>;
}

export interface ProviderContext {
  readonly fake: AwsFake;
  readonly lambda: LambdaService;
  readonly rotation: RotationService;
  readonly stack: StackContext;
  /** How a function's code is found in the deployed cloud assembly. */
  functionConfig(properties: Record<string, unknown>): FunctionConfig;
}

type Properties = Record<string, unknown>;

export interface ResourceProvider {
  /** Properties whose change replaces the resource ("Update requires: Replacement" in the resource's reference). */
  readonly replacedBy?: readonly string[];
  create(ctx: ProviderContext, logicalId: string, properties: Properties): Promise<ResolvedResource> | ResolvedResource;
  /** An update in place; unset, the new properties are only recorded. */
  update?(ctx: ProviderContext, current: DeployedResource, properties: Properties): Promise<void> | void;
  delete?(ctx: ProviderContext, resource: DeployedResource): Promise<void> | void;
}

/** The most characters EventBridge takes in a target's `Input`, and targets in a rule (EventBridge PutTargets). */
export const EVENTBRIDGE_INPUT_LIMIT = 8192;
export const EVENTBRIDGE_TARGETS_PER_RULE = 5;

export const PROVIDERS: Record<string, ResourceProvider> = {
  'AWS::Lightsail::Bucket': {
    replacedBy: ['BucketName'],
    create: (ctx, _, properties) => {
      const bucket = ctx.fake.lightsail.createBucket(String(properties.BucketName));
      return { physicalId: bucket.name, attributes: { BucketArn: bucket.arn, Url: bucket.url } };
    },
    // CloudFormation's Lightsail bucket handler deletes with forceDelete: the bucket's access keys go with it (the
    // simulator records which, see CloudFormation.keysDeletedWithBuckets).
    delete: (ctx, resource) => void ctx.fake.lightsail.deleteBucket(resource.physicalId),
  },

  'AWS::SecretsManager::Secret': {
    replacedBy: ['Name'],
    create: (ctx, logicalId, properties) => {
      const arn = ctx.fake.secrets.createSecret({
        name: String(properties.Name ?? `${logicalId}-${randomUUID().slice(0, 12)}`),
        secretString: initialSecretString(properties),
        kmsKeyId: properties.KmsKeyId as string | undefined,
        description: properties.Description as string | undefined,
        tags: tagMap(properties.Tags),
      });
      return { physicalId: arn, attributes: {} };
    },
    update: (ctx, current, properties) => {
      if (!isDeepStrictEqual(properties.GenerateSecretString, current.properties.GenerateSecretString)) {
        throw new Error('the simulator does not model a changed GenerateSecretString (it would overwrite the secret)');
      }
      if (properties.KmsKeyId !== current.properties.KmsKeyId) {
        ctx.fake.secrets.changeKmsKey(current.physicalId, properties.KmsKeyId as string | undefined);
      }
      // A changed SecretString is a new current version; nothing else makes one.
      if (properties.SecretString !== current.properties.SecretString && typeof properties.SecretString === 'string') {
        ctx.fake.secrets.putCurrentValue(current.physicalId, properties.SecretString);
      }
      ctx.fake.secrets.setTags(current.physicalId, tagMap(properties.Tags));
    },
    // CloudFormation deletes secrets without a recovery window; the deletion completes asynchronously.
    delete: (ctx, resource) => void ctx.fake.secrets.forceDelete(resource.physicalId),
  },

  'AWS::SecretsManager::RotationSchedule': {
    replacedBy: ['SecretId'],
    // RotateSecret with the schedule's settings; Ref of a RotationSchedule is its secret's ARN.
    create: async (ctx, _, properties) => {
      await ctx.rotation.rotateSecret(String(properties.SecretId), rotationSettings(properties));
      return { physicalId: String(properties.SecretId), attributes: {} };
    },
    update: (ctx, current, properties) => ctx.rotation.rotateSecret(current.physicalId, rotationSettings(properties)),
    // Deleting the schedule cancels rotation; a rotation function that is running goes on.
    delete: (ctx, resource) => {
      try {
        ctx.fake.secrets.handle('CancelRotateSecret', { SecretId: resource.physicalId });
      } catch {
        // The secret is gone already: nothing rotates it any more.
      }
    },
  },

  'AWS::Events::Rule': {
    create: (ctx, logicalId, properties) => {
      assertTargetsFit(properties);
      return recordOnly(logicalId, ctx.stack);
    },
    update: (_, __, properties) => assertTargetsFit(properties),
  },

  'AWS::KMS::Key': {
    create: (ctx) => {
      const arn = ctx.fake.kms.createKey();
      return { physicalId: arn.split('/').pop()!, attributes: { Arn: arn, KeyId: arn.split('/').pop()! } };
    },
    // A deleted key is scheduled for deletion: from then on it cannot be used.
    delete: (ctx, resource) => ctx.fake.kms.scheduleKeyDeletion(resource.attributes.Arn),
  },

  'AWS::Lambda::Function': {
    create: (ctx, logicalId, properties) => {
      const name = `${ctx.stack.stackName}-${logicalId}-${randomUUID().slice(0, 8)}`;
      const arn = `arn:aws:lambda:${ctx.stack.region}:${ctx.stack.accountId}:function:${name}`;
      ctx.lambda.deploy(arn, ctx.functionConfig(properties));
      return { physicalId: name, attributes: { Arn: arn } };
    },
    update: (ctx, current, properties) => ctx.lambda.deploy(current.attributes.Arn, ctx.functionConfig(properties)),
    delete: (ctx, resource) => ctx.lambda.remove(resource.attributes.Arn),
  },
};

/** Resources the simulator only records (IAM, logs...): any attribute reads as a made-up ARN. */
export function recordOnly(logicalId: string, stack: StackContext): ResolvedResource {
  const physicalId = `${stack.stackName}-${logicalId}-${randomUUID().slice(0, 8)}`;
  const attributes = new Proxy({} as Record<string, string>, {
    get: (_, name) => `arn:aws:simulated:${stack.region}:${stack.accountId}:${physicalId}/${String(name)}`,
    has: () => true,
  });
  return { physicalId, attributes };
}

/** EventBridge refuses a target whose Input is too long, and a sixth target (PutTargets API reference). */
function assertTargetsFit(properties: Properties): void {
  const targets = (properties.Targets ?? []) as Array<{ Input?: string }>;
  if (targets.length > EVENTBRIDGE_TARGETS_PER_RULE) {
    throw new Error(`a rule has at most ${EVENTBRIDGE_TARGETS_PER_RULE} targets; this one has ${targets.length}`);
  }
  targets.forEach((t, i) => {
    const length = t.Input?.length ?? 0;
    if (length > EVENTBRIDGE_INPUT_LIMIT) {
      throw new Error(
        `1 validation error detected: Value at 'targets.${i + 1}.member.input' failed to satisfy constraint: ` +
          `Member must have length less than or equal to ${EVENTBRIDGE_INPUT_LIMIT} (it has ${length})`,
      );
    }
  });
}

function rotationSettings(properties: Properties) {
  const rules = (properties.RotationRules ?? {}) as { ScheduleExpression?: string; AutomaticallyAfterDays?: string };
  return {
    lambdaArn: String(properties.RotationLambdaARN),
    scheduleExpression:
      rules.ScheduleExpression ?? (rules.AutomaticallyAfterDays && `rate(${rules.AutomaticallyAfterDays} days)`),
    // RotateImmediatelyOnUpdate defaults to true, as RotateSecret's RotateImmediately does.
    immediately: String(properties.RotateImmediatelyOnUpdate ?? true) !== 'false',
  };
}

/** The value CloudFormation stores in a new secret: SecretString, or one generated from GenerateSecretString. */
function initialSecretString(properties: Properties): string {
  if (typeof properties.SecretString === 'string') return properties.SecretString;
  const spec = properties.GenerateSecretString as
    { SecretStringTemplate?: string; GenerateStringKey?: string; PasswordLength?: number } | undefined;
  const generated = randomUUID()
    .replace(/-/g, '')
    .slice(0, Number(spec?.PasswordLength ?? 32));
  if (!spec?.SecretStringTemplate || !spec.GenerateStringKey) return generated;
  return JSON.stringify({ ...JSON.parse(spec.SecretStringTemplate), [spec.GenerateStringKey]: generated });
}

function tagMap(tags: unknown): Record<string, string> {
  const list = (Array.isArray(tags) ? tags : []) as Array<{ Key: string; Value: string }>;
  return Object.fromEntries(list.map((t) => [t.Key, t.Value]));
}
