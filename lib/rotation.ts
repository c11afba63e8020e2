import type { Duration } from 'aws-cdk-lib';

/**
 * Scheduled rotation of a key through Secrets Manager's own rotation. Give exactly one of `automaticallyAfter` and
 * `scheduleExpression`.
 */
export interface BucketAccessKeyRotation {
  /**
   * Rotate this often: whole hours, from 4 hours to 1,000 days.
   *
   * @default - give `scheduleExpression` instead
   */
  readonly automaticallyAfter?: Duration;

  /**
   * A Secrets Manager schedule expression, such as `rate(30 days)` or `cron(0 4 ? * SUN *)`.
   *
   * @default - give `automaticallyAfter` instead
   */
  readonly scheduleExpression?: string;

  /**
   * How long the previous key stays valid after a rotation, for consumers that cached it. It is deleted within an
   * hour after the grace period ends (an hourly schedule checks), and in any case before the next rotation creates
   * a key, so the bucket never needs a third slot.
   *
   * @default - until the next rotation
   */
  readonly gracePeriod?: Duration;

  /**
   * Rotate once right away when rotation is turned on or its schedule changes, instead of waiting for the first
   * scheduled rotation.
   *
   * @default false
   */
  readonly rotateImmediatelyOnUpdate?: boolean;
}
