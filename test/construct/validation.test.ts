/** The synth-time checks as pure functions (lib/validation.ts), on their own. */
import { RegionName } from '@aws-sdk/client-lightsail';
import { RemovalPolicy } from 'aws-cdk-lib';
import { LIGHTSAIL_REGIONS, regionProblem, removalPolicyProblem } from '../../lib/validation';

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
    expect(removalPolicyProblem(policy)).toBe('use RemovalPolicy.DESTROY or RemovalPolicy.RETAIN');
  });
});
