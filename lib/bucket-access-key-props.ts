/**
 * What a BucketAccessKey is given. Its own file, so that the checks (validation.ts) can read the props without
 * importing the construct that runs them.
 */
import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lightsail from 'aws-cdk-lib/aws-lightsail';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { BucketAccessKeyRotation } from './rotation';

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
