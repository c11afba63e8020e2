/**
 * The stack's grace-period schedule: once an hour, EventBridge asks the rotation handler to end the grace period of
 * rotated-out keys whose grace period is over. One per stack, made with the first key that has a grace period.
 */
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { GRACE_PERIODS_FIELD, type GracePeriodEvent } from './contract';
import { secretNamePrefix } from './handler-policy';

/**
 * Ends rotated-out keys' grace periods within an hour of their end: the schedule asks the rotation handler to check
 * the stack's key secrets that have a grace period (their tag). Its input names the secrets' name prefix, not the
 * secrets: the same few characters however many keys the stack has.
 */
export function gracePeriodSchedule(scope: Construct, rotationHandler: lambda.IFunction): events.Rule {
  const event: GracePeriodEvent = { [GRACE_PERIODS_FIELD]: { secretNamePrefix: secretNamePrefix() } };
  return new events.Rule(scope, 'GracePeriodSchedule', {
    description: 'Ends the grace period of rotated-out Lightsail bucket access keys',
    schedule: events.Schedule.rate(Duration.hours(1)),
    targets: [new targets.LambdaFunction(rotationHandler, { event: events.RuleTargetInput.fromObject(event) })],
  });
}
