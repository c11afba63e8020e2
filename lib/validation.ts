/**
 * Synth-time checks of values known before deploy, as pure functions that say what is wrong, or undefined when
 * nothing is. Tokens are skipped: the handler reports those at deploy time. The caller throws (errors.ts) or warns
 * (warnings.ts).
 */
import { RemovalPolicy, Token, TokenComparison } from 'aws-cdk-lib';
import type { IPrincipal } from 'aws-cdk-lib/aws-iam';
import type { BucketAccessKeyProps } from './bucket-access-key-props';
import { LIGHTSAIL_REGIONS } from './regions';
import type { BucketAccessKeyRotation } from './rotation';

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

/**
 * What is wrong with a key's props, as far as synth can tell (tokens pass), or undefined: one bucket, its name, the
 * serial, the removal policy, the rotation settings.
 */
export function propsProblem(props: BucketAccessKeyProps): string | undefined {
  if (props.bucket && props.bucketName !== undefined) return 'give either `bucket` or `bucketName`, not both';
  const name = props.bucket ? props.bucket.bucketName : props.bucketName;
  if (name === undefined) return 'give the bucket, as `bucket` (a lightsail.CfnBucket) or as `bucketName`';
  const nameProblem = Token.isUnresolved(name) ? undefined : bucketNameProblem(name);
  if (nameProblem) return `bucket name "${name}" is not a valid Lightsail bucket name: ${nameProblem}`;
  const serial = props.serial ?? 0;
  const serialIssue = Token.isUnresolved(serial) ? undefined : serialProblem(serial);
  if (serialIssue) return `serial ${serial} is invalid: ${serialIssue}`;
  if (!props.vpc && (props.vpcSubnets !== undefined || props.securityGroups !== undefined)) {
    return '`vpcSubnets` and `securityGroups` place the handlers in a VPC: give the `vpc` too';
  }
  return (
    removalPolicyProblem(props.removalPolicy ?? RemovalPolicy.DESTROY) ??
    (props.rotation && rotationProblem(props.rotation))
  );
}

/** Why a serial is invalid, or undefined. */
export function serialProblem(serial: number): string | undefined {
  if (!Number.isInteger(serial) || serial < 0) return 'it must be a whole number, 0 or more';
  return undefined;
}

/**
 * Why rotation settings cannot work, or undefined. Secrets Manager takes intervals of whole hours from 4 hours to
 * 1,000 days (RotationRules, Secrets Manager API reference); a grace period shorter than an hour would end before
 * the hourly check, and one as long as the interval would outlast the next rotation, which deletes the key anyway.
 */
export function rotationProblem(rotation: BucketAccessKeyRotation): string | undefined {
  const { automaticallyAfter: every, scheduleExpression: expression, gracePeriod: grace } = rotation;
  if ((every === undefined) === (expression === undefined)) {
    return 'rotation needs exactly one of `automaticallyAfter` and `scheduleExpression`';
  }
  if (expression !== undefined && !Token.isUnresolved(expression) && !/^(rate|cron)\(.+\)$/.test(expression)) {
    return `rotation.scheduleExpression "${expression}" is not a rate(...) or cron(...) expression`;
  }
  const hours = every?.toHours({ integral: false });
  if (every && hours !== undefined && (!Number.isInteger(hours) || hours < 4 || hours > 24_000)) {
    return `rotation.automaticallyAfter ${every.toHumanString()} must be whole hours, from 4 hours to 1,000 days`;
  }
  if (!grace || grace.isUnresolved()) return undefined;
  if (grace.toSeconds() < 3600) return 'rotation.gracePeriod must be at least one hour';
  if (every && grace.toSeconds() >= every.toSeconds()) {
    return (
      `rotation.gracePeriod (${grace.toHumanString()}) must be shorter than the rotation interval ` +
      `(${every.toHumanString()}): the previous key goes at the next rotation anyway. Leave it out for that`
    );
  }
  return undefined;
}

/** Why a removal policy cannot apply to a key and its secret together, or undefined. */
export function removalPolicyProblem(policy: RemovalPolicy): string | undefined {
  if (policy === RemovalPolicy.DESTROY || policy === RemovalPolicy.RETAIN) return undefined;
  return `removalPolicy ${policy} is not supported: use RemovalPolicy.DESTROY or RemovalPolicy.RETAIN`;
}

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
