/**
 * The contract between the BucketAccessKey construct and its custom resource handler.
 *
 * Both sides import this file (the handler through the bundler), so the property names, the attribute names and the
 * shape of the secret are written once. Nothing here is exported from the package's public API.
 */

/** Custom resource type shown in CloudFormation. */
export const RESOURCE_TYPE = 'Custom::LightsailBucketAccessKey';

/** Lightsail allows at most this many access keys per bucket (CreateBucketAccessKey, Lightsail API reference). */
export const MAX_KEYS_PER_BUCKET = 2;

/**
 * The handlers' time budget, written once: every other figure derives from the Lambda timeout of both functions.
 *
 * - The custom resource handler answers CloudFormation ANSWER_RESERVE_SECONDS before its timeout, however far its
 *   work got (a failure then; the retry starts afresh).
 * - A key creation starts only while KEY_CREATION_RESERVE_SECONDS are left: Lightsail returns a key's secret only in
 *   the answer to its creation, so the rest of the invocation must suffice to record the key (or delete it again)
 *   and answer. Waits for Lightsail operations end there too.
 * - CloudFormation waits SERVICE_TIMEOUT_SECONDS for an answer (without a `ServiceTimeout`, an hour, the most it
 *   allows: aws/aws-cdk #2126, #30517). It invokes the handler asynchronously, and Lambda runs an invocation that
 *   failed or timed out twice more, about one and then two minutes after the previous attempt (Lambda developer
 *   guide, "How Lambda handles errors and retries with asynchronous invocation"). Every attempt answers before its
 *   timeout, unless the answer cannot be delivered, so the last answer arrives at most
 *   3 attempts x 5 minutes + 1 minute + 2 minutes = 18 minutes after the request; 2 minutes more for Lambda's queue
 *   and cold starts make 20 minutes.
 * - Calls to AWS are retried with the SDK's standard strategy, SDK_MAX_ATTEMPTS times (exponential backoff with
 *   jitter up to 20 s: minutes of waiting when many keys share Lightsail's per-account rate, within the timeout).
 */
export const TIME_BUDGET = {
  handlerTimeoutSeconds: 300,
  answerReserveSeconds: 15,
  keyCreationReserveSeconds: 45,
  serviceTimeoutSeconds: 3 * 300 + 60 + 120 + 120,
  sdkMaxAttempts: 20,
} as const;

/**
 * A stack's id (`AWS::StackId`) is `arn:<partition>:cloudformation:<region>:<account>:stack/<stack name>/<stack UUID>`;
 * split at '/', these are the parts that hold the name and the UUID.
 */
export const STACK_ID_PARTS = { separator: '/', name: 1, uuid: 2 } as const;

/**
 * The name prefix of one stack's key secrets: `lightsail-bucket-access-key/<stack name>/<stack UUID>/`, both as
 * CloudFormation names the stack when it deploys it (the construct passes the pseudo parameters, not the names it
 * was synthesized with: a StackSet or `aws cloudformation deploy` may deploy it under another name). The handlers'
 * IAM is scoped to it. A stack deleted and created again under the same name has a new UUID, so its secrets never
 * collide with the first one's: neither with secrets it retained nor with secrets Secrets Manager is still deleting.
 */
export function keySecretNamePrefix(stackName: string, stackUuid: string): string {
  return `lightsail-bucket-access-key/${stackName}/${stackUuid}/`;
}

/**
 * The ARN prefix of the key secrets of the stack whose id this is: its partition, region and account, and the name
 * prefix. Undefined for a string that is no stack id.
 */
export function keySecretArnPrefix(stackId: string): string | undefined {
  const arn = /^arn:([\w-]+):cloudformation:([\w-]+):(\d{12}):stack\//.exec(stackId);
  const parts = stackId.split(STACK_ID_PARTS.separator);
  if (!arn || parts.length !== 3) return undefined;
  const [, partition, region, account] = arn;
  const namePrefix = keySecretNamePrefix(parts[STACK_ID_PARTS.name], parts[STACK_ID_PARTS.uuid]);
  return `arn:${partition}:secretsmanager:${region}:${account}:secret:${namePrefix}`;
}

/**
 * The value CloudFormation generates into a new key secret before the handler writes the key.
 *
 * It must never change across releases: CloudFormation writes a new secret version whenever
 * `GenerateSecretString` changes, which would overwrite the stored access key. A unit test pins it.
 */
export const SECRET_PLACEHOLDER = {
  secretStringTemplate: '{"status":"awaiting-access-key"}',
  generateStringKey: 'placeholder',
  passwordLength: 16,
  excludePunctuation: true,
} as const;

/** How the handler treats the key when CloudFormation deletes the resource: as the resource's DeletionPolicy says. */
export const REMOVAL_POLICY_VALUES = ['destroy', 'retain'] as const;
export type RemovalPolicyValue = (typeof REMOVAL_POLICY_VALUES)[number];

/** The removal policy the construct sends: 'retain' when CloudFormation retains the resource, else 'destroy'. */
export function removalPolicyValue(retained: boolean): RemovalPolicyValue {
  return retained ? 'retain' : 'destroy';
}

/** Properties the construct sends to the handler (besides ServiceToken). All values arrive as strings. */
export interface KeyResourceProperties {
  /** ARN of the lineage's secret: the key's identity, and the handler's physical resource id. */
  readonly SecretArn: string;
  readonly BucketName: string;
  /**
   * The bucket's URL when the construct knows it (a CfnBucket's `attrUrl`); else read from GetBuckets. The key secret
   * records it as `bucketUrl`, and the S3 service endpoint derived from it as `endpoint`.
   */
  readonly Endpoint?: string;
  readonly RemovalPolicy: RemovalPolicyValue;
  /**
   * The rotation schedule (a Secrets Manager schedule expression) when the key rotates. Its change sends the
   * resource an Update before CloudFormation updates or deletes the RotationSchedule, which depends on it: turning
   * rotation off ends the rotated-out keys, and a changed schedule first ends a rotation left incomplete.
   */
  readonly RotationSchedule?: string;
  /**
   * 'true' when the RotationSchedule rotates as soon as it is updated (`rotateImmediatelyOnUpdate`). A rotation it
   * starts may still run when a failed deploy rolls back; the rollback sends this resource an Update (the flag
   * changed back) before the RotationSchedule's, which ends that rotation so that Secrets Manager accepts the
   * RotationSchedule's rollback ("A previous rotation isn't complete" otherwise).
   */
  readonly RotateImmediatelyOnUpdate?: 'true';
}

/**
 * Reads the properties CloudFormation delivers. Those a Create or Update applies are read `strict`ly: a missing or
 * empty secret or bucket, or an unknown removal policy, is an error. Those a resource leaves (a Delete's, an
 * Update's old ones) are read `leniently`, since a Delete must not fail on what a failed Create left: missing values
 * are empty, and a removal policy other than 'retain' is the default, 'destroy'.
 */
export function parseKeyResourceProperties(raw: unknown, mode: 'strict' | 'lenient'): KeyResourceProperties {
  const props = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const text = (name: keyof KeyResourceProperties): string | undefined => {
    const value = props[name];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const required = (name: 'SecretArn' | 'BucketName'): string => {
    const value = text(name);
    if (value === undefined && mode === 'strict') throw new Error(`Property ${name} is missing or empty.`);
    return value ?? '';
  };
  const removal = props.RemovalPolicy ?? removalPolicyValue(false);
  if (mode === 'strict' && !REMOVAL_POLICY_VALUES.includes(removal as RemovalPolicyValue)) {
    throw new Error(
      `Property RemovalPolicy must be ${REMOVAL_POLICY_VALUES.map((v) => `"${v}"`).join(' or ')}, got "${String(removal)}".`,
    );
  }
  return {
    SecretArn: required('SecretArn'),
    BucketName: required('BucketName'),
    Endpoint: text('Endpoint'),
    RemovalPolicy: removalPolicyValue(removal === removalPolicyValue(true)),
    RotationSchedule: text('RotationSchedule'),
    RotateImmediatelyOnUpdate: text('RotateImmediatelyOnUpdate') === 'true' ? 'true' : undefined,
  };
}

/** Attributes the handler returns in `Data`. Never the secret access key. */
export interface KeyResourceAttributes {
  readonly AccessKeyId: string;
  readonly SecretArn: string;
  readonly BucketName: string;
}

export const ATTR_ACCESS_KEY_ID: keyof KeyResourceAttributes = 'AccessKeyId';
export const ATTR_SECRET_ARN: keyof KeyResourceAttributes = 'SecretArn';

/** The JSON the handler writes into the key secret: what consumers read. */
export interface KeySecretValue {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly bucketName: string;
  readonly region: string;
  /**
   * The regional S3 service endpoint (`https://s3.<region>.amazonaws.com`), for S3 clients' `endpoint`. Records
   * written before `bucketUrl` existed hold the bucket's URL here.
   */
  readonly endpoint: string;
  /** The bucket's own URL, as Lightsail reports it. Absent from records written before it existed. */
  readonly bucketUrl?: string;
}

/** The steps of Secrets Manager's rotation contract, in order (Secrets Manager user guide, rotation functions). */
export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

/**
 * Tags the construct puts on a rotating key's secret (CloudFormation applies them before it updates the key, and
 * restores them in a rollback): the rotation handler rotates a secret only while it has `ROTATION_TAG` (its value is
 * the schedule), and ends the grace period of the secrets that have `GRACE_PERIOD_TAG` (its value in seconds).
 */
export const ROTATION_TAG = 'lightsail-bucket-access-key:rotation';
export const GRACE_PERIOD_TAG = 'lightsail-bucket-access-key:grace-period-seconds';

/**
 * What the hourly grace-period schedule sends the rotation handler: the name prefix of the stack's key secrets, among
 * which it finds those with a grace period (ListSecrets by name prefix and tag). The input has the same size however
 * many keys the stack has (EventBridge takes at most 8,192 characters per target input).
 */
export interface GracePeriodEvent {
  readonly expireGracePeriods: { readonly secretNamePrefix: string };
}

export const GRACE_PERIODS_FIELD: keyof GracePeriodEvent = 'expireGracePeriods';

/**
 * Staging labels the handlers put on versions of a key secret besides Secrets Manager's own: `RETIRED_STAGE` marks
 * a lineage closed (docs/design.md, "Closing a lineage"), `OWNER_STAGE_PREFIX` + a logical id names each custom
 * resource that holds the lineage (one adopting it under a new logical id holds it too, until CloudFormation deletes
 * one of them).
 */
export const RETIRED_STAGE = 'lineage:retired';

/** Secrets Manager's own staging labels (the rotation contract's). */
export const AWSCURRENT = 'AWSCURRENT';
export const AWSPENDING = 'AWSPENDING';
export const AWSPREVIOUS = 'AWSPREVIOUS';
export const OWNER_STAGE_PREFIX = 'lineage:owner:';

/**
 * The label of a version whose key Lightsail had not finished creating when it was written, followed by the id of
 * the creating operation (lineage.ts): whoever finds that key missing, or is about to delete it, waits for the
 * operation first. The writer takes the label off once the operation is terminal.
 */
export const CREATING_STAGE_PREFIX = 'lineage:creating:';
