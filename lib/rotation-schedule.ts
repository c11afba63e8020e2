/**
 * A rotating key's schedule, as the key deploys it: the Secrets Manager schedule expression of its rotation
 * settings, the tags on its secret that the rotation handler reads, and the rotation schedule that Secrets Manager
 * runs. The schedule attaches once the custom resource has written the key into the secret.
 */
import { type CustomResource, type Duration, Tags } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { GRACE_PERIOD_TAG, ROTATION_TAG } from './contract';
import type { BucketAccessKeyProvider } from './provider';
import type { BucketAccessKeyRotation } from './rotation';

/** The Secrets Manager schedule expression of valid rotation settings: `rate(N days)` or `rate(N hours)`. */
export function rotationScheduleExpression(rotation: BucketAccessKeyRotation): string {
  if (rotation.scheduleExpression !== undefined) return rotation.scheduleExpression;
  const hours = rotation.automaticallyAfter!.toHours();
  return hours % 24 === 0 ? `rate(${hours / 24} days)` : `rate(${hours} hours)`;
}

/**
 * The tags the rotation handler reads (contract.ts): rotation is on, with this schedule, and the grace period in
 * seconds. CloudFormation changes tags in place, without a new secret version.
 */
export function tagForRotation(
  secret: secretsmanager.Secret,
  schedule: string,
  gracePeriod: Duration | undefined,
): void {
  Tags.of(secret).add(ROTATION_TAG, schedule);
  if (gracePeriod) Tags.of(secret).add(GRACE_PERIOD_TAG, String(gracePeriod.toSeconds()));
}

/**
 * Attaches Secrets Manager rotation to a key's secret (as the key's `RotationSchedule`), once the key's custom
 * resource has written the key into it.
 */
export function attachRotation(
  key: Construct,
  provider: BucketAccessKeyProvider,
  secret: secretsmanager.Secret,
  keyResource: CustomResource,
  rotation: BucketAccessKeyRotation,
  expression: string,
): void {
  const schedule = new secretsmanager.CfnRotationSchedule(key, 'RotationSchedule', {
    secretId: secret.secretArn,
    rotationLambdaArn: provider.rotationFunction().functionArn,
    rotationRules: { scheduleExpression: expression },
    rotateImmediatelyOnUpdate: rotation.rotateImmediatelyOnUpdate ?? false,
  });
  // Rotation needs a key to rotate, and the permission that lets Secrets Manager invoke the handler. Depending on
  // the custom resource also orders a change of the schedule after the custom resource's Update (contract.ts).
  schedule.node.addDependency(keyResource, provider.rotationFunction());
  if (rotation.gracePeriod) provider.expireGracePeriods();
}
