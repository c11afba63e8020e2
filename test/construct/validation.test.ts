/** The synth-time checks as pure functions (lib/validation.ts), on their own. */
import { RegionName } from '@aws-sdk/client-lightsail';
import { RemovalPolicy, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { LIGHTSAIL_REGIONS, managedKeyGrantProblem, regionProblem, removalPolicyProblem } from '../../lib/validation';

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
