import {
  CfnDeletionPolicy,
  type CfnResource,
  CustomResource,
  type IResource,
  Lazy,
  RemovalPolicy,
  Resource,
  SecretValue,
} from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { KEY_WITHOUT_ROTATION, acknowledge } from './acknowledgements';
import type { BucketAccessKeyProps } from './bucket-access-key-props';
import { BucketSlots } from './bucket-slots';
import {
  ATTR_ACCESS_KEY_ID,
  ATTR_SECRET_ARN,
  type KeyResourceProperties,
  RESOURCE_TYPE,
  type RemovalPolicyValue,
  SECRET_PLACEHOLDER,
  removalPolicyValue,
} from './contract';
import { fail } from './errors';
import { secretNamePrefix } from './handler-policy';
import { KeySecret } from './key-secret';
import { BucketAccessKeyProvider, KEY_SERVICE_TIMEOUT } from './provider';
import { attachRotation, rotationScheduleExpression, tagForRotation } from './rotation-schedule';
import { propsProblem, removalPolicyProblem } from './validation';

const IS_BUCKET_ACCESS_KEY = Symbol.for('cdk-lightsail-bucket-access-key.BucketAccessKey');

/**
 * A Lightsail bucket access key, with its secret access key kept in a Secrets Manager secret.
 */
export interface IBucketAccessKey extends IResource {
  /**
   * The access key id. It is not secret: it can go into outputs and environment variables. With rotation, it is
   * the key that was current at the last deploy; the secret holds the key in use.
   *
   * @attribute
   */
  readonly accessKeyId: string;

  /**
   * The secret access key, as a Secrets Manager dynamic reference: CloudFormation resolves it at deploy time, and
   * it never appears in the template. With rotation, it is the key that was current at the last deploy.
   *
   * @attribute
   */
  readonly secretAccessKey: SecretValue;

  /**
   * The secret that holds the key, as JSON: `accessKeyId`, `secretAccessKey`, `bucketName`, `region`, `endpoint`
   * (the regional S3 service endpoint, for an S3 client's endpoint) and `bucketUrl` (the bucket's own URL).
   * Its ARN comes from the custom resource that writes the key, so whatever uses it deploys after the key was
   * written. Its grants behave as `secretsmanager.Secret`'s do, for principals of other accounts too.
   */
  readonly secret: secretsmanager.ISecret;

  /**
   * The name of the key's bucket (a token when the bucket's name is one).
   */
  readonly bucketName: string;

  /**
   * Grants read access to the key's secret, and decrypt on its KMS key when it has one.
   *
   * As `secretsmanager.Secret.grantRead` does, it adds a statement to the principal's own policy when it has one in
   * the stack's account (a role, a user), and otherwise to the secret's resource policy and the KMS key's policy (an
   * account, an ARN, a service, an organization). A principal outside the stack's account needs a customer-managed
   * `encryptionKey`: without one, the grant throws, since Secrets Manager's AWS managed key (`aws/secretsmanager`)
   * cannot be used by other accounts.
   */
  grantRead(grantee: iam.IGrantable): iam.Grant;
}

/**
 * A Lightsail bucket access key, created at deploy time by a custom resource that writes its secret access key
 * straight into AWS Secrets Manager: the secret never appears in the template, the custom resource's response or
 * a log. The key is deleted when the construct is removed or the stack is deleted.
 *
 * Each key has its own secret. Changing the bucket or the serial creates a new key in a new secret, and the old
 * key goes once the deploy succeeds; a failed deploy rolls back to the old key, untouched.
 */
export class BucketAccessKey extends Resource implements IBucketAccessKey {
  /** Whether `x` is a BucketAccessKey (works across copies of this library in one app). */
  public static isBucketAccessKey(x: unknown): x is BucketAccessKey {
    return typeof x === 'object' && x !== null && IS_BUCKET_ACCESS_KEY in x;
  }

  public readonly accessKeyId: string;
  public readonly secret: secretsmanager.ISecret;
  public readonly secretAccessKey: SecretValue;
  public readonly bucketName: string;

  private readonly keySecret: secretsmanager.Secret;
  private readonly resource: CustomResource;

  /**
   * @param scope the construct the key belongs to
   * @param id the key's construct id: changing it replaces the key
   * @param props the bucket, and how the key is kept
   */
  constructor(scope: Construct, id: string, props: BucketAccessKeyProps) {
    super(scope, id);
    Object.defineProperty(this, IS_BUCKET_ACCESS_KEY, { value: true });
    const problem = propsProblem(props);
    if (problem) fail(this, `${problem}.`);
    const bucketName = (props.bucket?.bucketName ?? props.bucketName)!;
    const serial = props.serial ?? 0;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;

    const provider = BucketAccessKeyProvider.of(this, props);
    if (props.logRetention !== undefined) provider.useLogRetention(props.logRetention, this);
    if (props.bucket) provider.policy.grantBucket(props.bucket.attrBucketArn);
    else provider.policy.grantBucketByName();
    BucketSlots.of(this).use(this, bucketName, props.bucket, Boolean(props.rotation));

    // The lineage's secret. Its name holds the bucket and the serial, so changing either makes CloudFormation
    // replace the secret, and with it the key. The handler overwrites the placeholder with the key.
    this.keySecret = new secretsmanager.Secret(this, 'Secret', {
      secretName: `${secretNamePrefix()}${bucketName}/${this.node.addr.slice(0, 10)}-v${serial}`,
      description: `Lightsail bucket access key for bucket ${bucketName} (${this.node.path})`,
      encryptionKey: props.encryptionKey,
      generateSecretString: { ...SECRET_PLACEHOLDER },
      removalPolicy,
    });
    const schedule = props.rotation && rotationScheduleExpression(props.rotation);
    if (props.rotation && schedule) tagForRotation(this.keySecret, schedule, props.rotation.gracePeriod);
    const properties: KeyResourceProperties = {
      SecretArn: this.keySecret.secretArn,
      BucketName: props.bucket ? props.bucket.ref : bucketName,
      Endpoint: props.bucket?.attrUrl,
      // As CloudFormation will treat the resource, read at synthesis: applyRemovalPolicy, an aspect such as
      // RemovalPolicies.of(scope), or an escape hatch may set its DeletionPolicy after construction.
      RemovalPolicy: Lazy.string({
        produce: () => removalPolicyValue(this.deletionPolicy() === CfnDeletionPolicy.RETAIN),
      }) as RemovalPolicyValue,
      RotationSchedule: schedule,
      RotateImmediatelyOnUpdate: props.rotation?.rotateImmediatelyOnUpdate ? 'true' : undefined,
    };
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.function.functionArn,
      resourceType: RESOURCE_TYPE,
      properties: { ...properties },
      removalPolicy,
      // Bounded by the handler's own timeout and Lambda's retries, instead of CloudFormation's hour.
      serviceTimeout: KEY_SERVICE_TIMEOUT,
    });

    this.bucketName = bucketName;
    this.accessKeyId = this.resource.getAttString(ATTR_ACCESS_KEY_ID);
    // Consumers reach the secret through the custom resource, so they deploy after the key was written into it.
    this.secret = new KeySecret(this, 'KeySecret', this.keySecret, this.resource.getAttString(ATTR_SECRET_ARN));
    this.secretAccessKey = SecretValue.secretsManager(this.secret.secretArn, { jsonField: 'secretAccessKey' });
    if (props.rotation && schedule) {
      attachRotation(this, provider, this.keySecret, this.resource, props.rotation, schedule);
    } else {
      acknowledge(this, KEY_WITHOUT_ROTATION);
    }
  }

  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.secret.grantRead(grantee);
  }

  /**
   * Applies a removal policy to the key and its secret together.
   *
   * As the `removalPolicy` prop does, it sets the policy of both CloudFormation resources and what the handler does
   * when CloudFormation deletes the key: a retained secret whose key was deleted would be of no use.
   *
   * @param policy `RemovalPolicy.DESTROY` or `RemovalPolicy.RETAIN`; any other policy throws, as the prop does
   */
  public applyRemovalPolicy(policy: RemovalPolicy): void {
    const problem = removalPolicyProblem(policy);
    if (problem) fail(this, `${problem}.`);
    this.keySecret.applyRemovalPolicy(policy);
    this.resource.applyRemovalPolicy(policy);
  }

  private deletionPolicy(): CfnDeletionPolicy | undefined {
    return (this.resource.node.defaultChild as CfnResource).cfnOptions.deletionPolicy;
  }
}
