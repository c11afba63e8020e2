/**
 * Synth-time checks of values known before deploy. Tokens are skipped: the handler reports those at deploy time.
 */
import { RemovalPolicy, Token, TokenComparison } from 'aws-cdk-lib';
import type { IPrincipal } from 'aws-cdk-lib/aws-iam';

/**
 * Why a Lightsail bucket name is invalid, or undefined when it is valid. Rules from Lightsail's API pattern and
 * its user guide: 3-54 characters, lowercase letters, digits and hyphens, starting and ending with a letter or
 * digit, no two hyphens in a row, and none of the names S3 reserves.
 */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 54) return `it has ${name.length} characters; Lightsail allows 3 to 54`;
  if (!/^[a-z0-9-]+$/.test(name)) return 'only lowercase letters, digits and hyphens are allowed';
  if (!/^[a-z0-9].*[a-z0-9]$/.test(name)) return 'it must start and end with a lowercase letter or a digit';
  if (name.includes('--')) return 'it must not contain two hyphens in a row';
  for (const prefix of ['amzn-s3-demo-', 'sthree-']) {
    if (name.startsWith(prefix)) return `the prefix "${prefix}" is reserved`;
  }
  if (name.endsWith('-s3alias')) return 'the suffix "-s3alias" is reserved';
  return undefined;
}

/** Why a serial is invalid, or undefined. */
export function serialProblem(serial: number): string | undefined {
  if (!Number.isInteger(serial) || serial < 0) return 'it must be a whole number, 0 or more';
  return undefined;
}

/** Why a removal policy cannot apply to a key and its secret together, or undefined. */
export function removalPolicyProblem(policy: RemovalPolicy): string | undefined {
  if (policy === RemovalPolicy.DESTROY || policy === RemovalPolicy.RETAIN) return undefined;
  return 'use RemovalPolicy.DESTROY or RemovalPolicy.RETAIN';
}

/**
 * The regions the Lightsail API names: its `RegionName` enum (API version 2016-11-28, as `@aws-sdk/client-lightsail`
 * 3.1169 carries it; a test compares the two). Lightsail buckets and their keys exist only there. AWS adds
 * regions, so a stack elsewhere gets a warning, not an error.
 */
export const LIGHTSAIL_REGIONS: readonly string[] = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ca-central-1',
  'sa-east-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-central-1',
  'eu-north-1',
  'eu-south-2',
  'ap-south-1',
  'ap-east-1',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-5',
];

/** Why a stack's region cannot hold Lightsail buckets, or undefined when Lightsail lists it. */
export function regionProblem(region: string): string | undefined {
  if (LIGHTSAIL_REGIONS.includes(region)) return undefined;
  return `Lightsail does not list region ${region} (its API names ${LIGHTSAIL_REGIONS.join(', ')})`;
}

/**
 * Why a grant through the secret's resource policy cannot work while the secret is encrypted with Secrets
 * Manager's AWS managed key (`aws/secretsmanager`), which no other account can use; undefined when it can, as far
 * as synth can tell. As `secretsmanager.Secret.grantRead` decides: the principal's account (none for ARN, service
 * and organization principals) differs from the stack's known account.
 */
export function managedKeyGrantProblem(stackAccount: string, principal: IPrincipal): string | undefined {
  if (Token.compareStrings(stackAccount, principal.principalAccount ?? '') !== TokenComparison.DIFFERENT) {
    return undefined;
  }
  return (
    `${principal} is not a principal of the stack's account ${stackAccount}, so it would read the secret ` +
    "through the secret's resource policy; but the secret is encrypted with Secrets Manager's AWS managed key " +
    '(aws/secretsmanager), which other accounts cannot use. Give the key a customer-managed KMS key as ' +
    '`encryptionKey` to share it'
  );
}
