/**
 * The contract between the BucketAccessKey construct and its custom resource handler.
 *
 * Both sides import this file (the handler through the bundler), so the property names, the attribute names and the
 * shape of the secret are written once. Nothing here is exported from the package's public API.
 */

/** Custom resource type shown in CloudFormation. */
export const RESOURCE_TYPE = 'Custom::LightsailBucketAccessKey';

/**
 * The name prefix of one stack's key secrets: `lightsail-bucket-access-key/<stack name>/<stack UUID>/`, the UUID being
 * the last part of the stack's id. The handlers' IAM is scoped to it, and the handler takes a secret for one of its
 * stack's by it. A stack deleted and created again under the same name has a new UUID, so its secrets never collide
 * with the first one's: neither with secrets it retained nor with secrets Secrets Manager is still deleting.
 */
export function keySecretNamePrefix(stackName: string, stackUuid: string): string {
  return `lightsail-bucket-access-key/${stackName}/${stackUuid}/`;
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

/** How the handler treats the key when CloudFormation deletes the resource. */
export type RemovalPolicyValue = 'destroy' | 'retain';

/** Properties the construct sends to the handler (besides ServiceToken). All values arrive as strings. */
export interface KeyResourceProperties {
  /** ARN of the lineage's secret: the key's identity, and the handler's physical resource id. */
  readonly SecretArn: string;
  readonly BucketName: string;
  /** The bucket's S3 endpoint when the construct knows it (a CfnBucket's `attrUrl`); else read from GetBuckets. */
  readonly Endpoint?: string;
  readonly RemovalPolicy: RemovalPolicyValue;
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
  readonly endpoint: string;
}
