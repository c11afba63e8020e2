/** The schedule expression of rotation settings (lib/rotation-schedule.ts), on its own. */
import { Duration } from 'aws-cdk-lib';
import type { BucketAccessKeyRotation } from '../../lib';
import { rotationScheduleExpression } from '../../lib/rotation-schedule';

describe('rotation settings', () => {
  test.each<[BucketAccessKeyRotation, string]>([
    [{ automaticallyAfter: Duration.days(30) }, 'rate(30 days)'],
    [{ automaticallyAfter: Duration.hours(36) }, 'rate(36 hours)'],
    [{ scheduleExpression: 'cron(0 4 ? * SUN *)' }, 'cron(0 4 ? * SUN *)'],
  ])('%j is scheduled as %s', (rotation, expression) => {
    expect(rotationScheduleExpression(rotation)).toBe(expression);
  });
});
