/** The synth-time checks as pure functions (lib/validation.ts), on their own. */
import { RegionName } from '@aws-sdk/client-lightsail';
import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lightsail from 'aws-cdk-lib/aws-lightsail';
import type { BucketAccessKeyProps, BucketAccessKeyRotation } from '../../lib';
import { LIGHTSAIL_REGIONS } from '../../lib/regions';
import {
  managedKeyGrantProblem,
  propsProblem,
  regionProblem,
  removalPolicyProblem,
  rotationProblem,
} from '../../lib/validation';

describe('Lightsail regions', () => {
  test("are the Lightsail API's RegionName enum: an SDK upgrade that adds a region shows here", () => {
    expect([...LIGHTSAIL_REGIONS].sort()).toEqual(Object.values(RegionName).sort());
  });

  test.each(LIGHTSAIL_REGIONS)('%s has no problem', (region) => {
    expect(regionProblem(region)).toBeUndefined();
  });

  test.each(['af-south-1', 'me-central-1', 'il-central-1', 'us-gov-west-1', 'cn-north-1', 'EU-WEST-1'])(
    '%s is not listed',
    (region) => {
      expect(regionProblem(region)).toBe(
        `Lightsail does not list region ${region} (its API names ${LIGHTSAIL_REGIONS.join(', ')})`,
      );
    },
  );
});

describe('removal policies', () => {
  test.each([RemovalPolicy.DESTROY, RemovalPolicy.RETAIN])('%s applies to a key and its secret', (policy) => {
    expect(removalPolicyProblem(policy)).toBeUndefined();
  });

  test.each([RemovalPolicy.SNAPSHOT, RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE])('%s does not', (policy) => {
    expect(removalPolicyProblem(policy)).toBe(
      `removalPolicy ${policy} is not supported: use RemovalPolicy.DESTROY or RemovalPolicy.RETAIN`,
    );
  });
});

describe('rotation settings', () => {
  const days = (n: number) => Duration.days(n);
  test.each<[string, BucketAccessKeyRotation, string | undefined]>([
    ['every 30 days', { automaticallyAfter: days(30) }, undefined],
    ['every 4 hours, the shortest', { automaticallyAfter: Duration.hours(4) }, undefined],
    ['every 1,000 days, the longest', { automaticallyAfter: days(1000) }, undefined],
    ['a cron expression', { scheduleExpression: 'cron(0 4 ? * SUN *)' }, undefined],
    ['a grace period of a day in 30', { automaticallyAfter: days(30), gracePeriod: days(1) }, undefined],
    ['no schedule', {}, 'rotation needs exactly one of `automaticallyAfter` and `scheduleExpression`'],
    ['two schedules', { automaticallyAfter: days(1), scheduleExpression: 'rate(1 day)' }, 'rotation needs exactly one'],
    ['a malformed expression', { scheduleExpression: 'every day' }, 'is not a rate(...) or cron(...) expression'],
    ['2 hours', { automaticallyAfter: Duration.hours(2) }, 'must be whole hours, from 4 hours to 1,000 days'],
    ['4.5 hours', { automaticallyAfter: Duration.minutes(270) }, 'must be whole hours'],
    ['1,001 days', { automaticallyAfter: days(1001) }, 'must be whole hours, from 4 hours to 1,000 days'],
    [
      'a grace period under an hour',
      { scheduleExpression: 'rate(7 days)', gracePeriod: Duration.minutes(59) },
      'at least one hour',
    ],
    [
      'a grace period as long as the interval',
      { automaticallyAfter: days(7), gracePeriod: days(7) },
      'must be shorter',
    ],
  ])('%s', (_, rotation, problem) => {
    const found = rotationProblem(rotation);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });
});

describe('props', () => {
  const stack = new Stack();
  const bucket = new lightsail.CfnBucket(stack, 'Bucket', { bucketName: 'media-assets', bundleId: 'small_1_0' });
  test.each<[string, BucketAccessKeyProps, string | undefined]>([
    ['a bucket', { bucket }, undefined],
    ['a bucket name that is a token', { bucketName: Token.asString({ Ref: 'Name' }) }, undefined],
    ['both a bucket and a name', { bucket, bucketName: 'media-assets' }, 'give either `bucket` or `bucketName`'],
    ['no bucket', {}, 'give the bucket, as `bucket`'],
    ['a bad name', { bucketName: 'Media' }, 'bucket name "Media" is not a valid Lightsail bucket name'],
    ['a negative serial', { bucketName: 'media-assets', serial: -1 }, 'serial -1 is invalid'],
    ['a snapshot policy', { bucket, removalPolicy: RemovalPolicy.SNAPSHOT }, 'removalPolicy snapshot is not supported'],
    ['a rotation without a schedule', { bucket, rotation: {} }, 'rotation needs exactly one'],
  ])('%s', (_, props, problem) => {
    const found = propsProblem(props);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });
});

describe('a resource policy grant with the AWS managed key', () => {
  const unknownAccount = Token.asString({ Ref: 'AWS::AccountId' });

  test.each([
    ['another account', new iam.AccountPrincipal('222222222222')],
    ['a role ARN (its account is not read from it)', new iam.ArnPrincipal('arn:aws:iam::111111111111:role/Reader')],
    ['a service', new iam.ServicePrincipal('ecs-tasks.amazonaws.com')],
    ['an organization', new iam.OrganizationPrincipal('o-abcdefghij')],
  ])('cannot work for %s in a stack of a known account', (_, principal) => {
    expect(managedKeyGrantProblem('111111111111', principal)).toMatch(
      new RegExp(`^${escape(principal.toString())} is not a principal of the stack's account 111111111111, `),
    );
  });

  test.each([
    ['the same account', '111111111111', new iam.AccountPrincipal('111111111111')],
    ['any principal in a stack of no known account', unknownAccount, new iam.AccountPrincipal('222222222222')],
    ["the stack's own account root", '111111111111', new iam.AccountRootPrincipal()],
  ])('is no problem for %s', (_, account, principal) => {
    expect(managedKeyGrantProblem(account, principal)).toBeUndefined();
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
