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
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lightsail from 'aws-cdk-lib/aws-lightsail';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { KEY_WITHOUT_ROTATION, acknowledge } from './acknowledgements';
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
import { KeySecret } from './key-secret';
import { BucketAccessKeyProvider, KEY_SERVICE_TIMEOUT } from './provider';
import type { BucketAccessKeyRotation } from './rotation';
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
 * Properties of a BucketAccessKey. Give exactly one of `bucket` and `bucketName`.
 */
export interface BucketAccessKeyProps {
  /**
   * The Lightsail bucket the key belongs to, when it is defined in this app. The key is then created after the
   * bucket and deleted before it, and the handlers' permission to create and delete keys names this bucket's ARN
   * (unless another key of the stack gives its bucket by name, or the stack has keys of more than 40 buckets: then
   * it covers every bucket of the account and region).
   *
   * Changing the bucket replaces the key.
   *
   * @default - give `bucketName` instead
   */
  readonly bucket?: lightsail.CfnBucket;

  /**
   * The name of an existing Lightsail bucket in the stack's account and region; it may be a token (a parameter, an
   * import), which is then checked at deploy time instead of synth time. Use `bucket` when the bucket is defined in
   * this app: a plain name creates no deploy order, and the handler may then manage the keys of any Lightsail bucket
   * of the account and region.
   *
   * Changing the bucket name replaces the key.
   *
   * @default - give `bucket` instead
   */
  readonly bucketName?: string;

  /**
   * Incrementing the serial replaces the key: the new key is created and stored in a new secret, consumers move to
   * it in the same deploy, and the old key is deleted when the deploy completes. The bucket needs a free key slot
   * for this (Lightsail allows two keys per bucket). A whole number, 0 or more: anything else throws at synth time.
   *
   * @default 0
   */
  readonly serial?: number;

  /**
   * The KMS key that encrypts the secret. Required to grant reading the secret to another account (`grantRead`):
   * other accounts cannot use Secrets Manager's AWS managed key.
   *
   * @default - the account's AWS managed key for Secrets Manager (`aws/secretsmanager`)
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * What happens to the key and its secret when the construct is removed from the stack, replaced, or the stack
   * is deleted. They share one policy: a retained secret whose key was deleted would be of no use. Only
   * `RemovalPolicy.DESTROY` and `RemovalPolicy.RETAIN` are supported.
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Rotates the key on a schedule, through Secrets Manager rotation: a new key is created and becomes the secret's
   * current value; the previous key stays valid for a grace period. A rotating key uses both of its bucket's key
   * slots (the current key and the previous one), so it needs its bucket to itself. The `accessKeyId` attribute
   * shows the key of the last deploy; read the current one from the secret.
   *
   * @default - no scheduled rotation; bump `serial` to replace the key
   */
  readonly rotation?: BucketAccessKeyRotation;

  /**
   * How long the logs of the stack's shared key handlers are kept. The keys of one stack share the handlers: those
   * that set it must agree.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * The VPC to run the stack's shared key handler functions in (the custom resource handler, and the rotation
   * handler of rotating keys), as `lambda.FunctionProps.vpc` does. The keys of one stack share the handlers: keys
   * that set it must give the same `vpc`, `vpcSubnets` and `securityGroups`, and the stack's first key must set it
   * too (the functions' placement is fixed when they are created); a synth error names the key that differs.
   *
   * The functions need HTTPS (TCP 443) to the Lightsail API, which has no VPC endpoint (so a NAT gateway), to
   * Secrets Manager (NAT, or its interface endpoint), and to the pre-signed S3 URL that CloudFormation takes the
   * custom resource's answer at (NAT, or an S3 gateway endpoint); KMS is called by Secrets Manager, not by them.
   * Their roles get the network interface permissions Lambda needs, as a statement of their own.
   *
   * @default - the functions run outside any VPC, as Lambda functions do by default
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Where in `vpc` the handler functions run, as `lambda.FunctionProps.vpcSubnets` does. Public subnets are
   * refused (a function there gets no public IP address); isolated subnets draw a synth warning (no route to the
   * Lightsail API). Needs `vpc`.
   *
   * @default - the VPC's default subnet selection: its private subnets with egress, as for a `lambda.Function`
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The security groups of the handler functions, as `lambda.FunctionProps.securityGroups`. They must allow
   * outbound HTTPS (TCP 443). Needs `vpc`.
   *
   * @default - one security group for each handler function, allowing outbound HTTPS (TCP 443) and nothing else
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
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
    if (props.bucket) provider.grantBucket(props.bucket.attrBucketArn);
    else provider.grantBucketByName();
    BucketSlots.of(this).use(this, bucketName, props.bucket, props.rotation ? 2 : 1);

    // The lineage's secret. Its name holds the bucket and the serial, so changing either makes CloudFormation
    // replace the secret, and with it the key. The handler overwrites the placeholder with the key.
    this.keySecret = new secretsmanager.Secret(this, 'Secret', {
      secretName: `${BucketAccessKeyProvider.secretNamePrefix()}${bucketName}/${this.node.addr.slice(0, 10)}-v${serial}`,
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
