/**
 * Construct ids are API: they make the logical ids of deployed resources, and a release that renames one makes
 * CloudFormation replace the resource in every stack that upgrades, with the consequences below. This test pins
 * them (by the logical ids they make, which do not depend on the stack's name); a failure says why the id matters.
 * If a rename is truly intended, it needs a migration (`stack.renameLogicalId` in the construct, or a major release
 * that says what to do) and a CHANGELOG entry marked Breaking.
 */
import { App, CfnElement, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lightsail from 'aws-cdk-lib/aws-lightsail';
import { BucketAccessKey } from '../../lib';

const SERVICE_TOKEN =
  "is every key's ServiceToken (Fn::GetAtt of its Arn): renaming it changes the ServiceToken of every deployed key, " +
  "which CloudFormation refuses ('Modifying service token is not allowed', cloudcomponents/cdk-constructs #197), so " +
  'every upgrading stack would fail to update';
const ROLE =
  'renaming replaces the role or its policy while the functions run with them; the policy must also outlive every ' +
  "key's Delete, which it only does as a dependency of the function it keeps";

/** Path under the stack, the logical id it must make, and why. */
const PINNED: ReadonlyArray<[string, string, string]> = [
  [
    'LightsailBucketAccessKeyProvider/Handler/Resource',
    'LightsailBucketAccessKeyProviderHandlerF83EC5A5',
    SERVICE_TOKEN,
  ],
  ['LightsailBucketAccessKeyProvider/Role/Resource', 'LightsailBucketAccessKeyProviderRole13D79310', ROLE],
  [
    'LightsailBucketAccessKeyProvider/Role/DefaultPolicy/Resource',
    'LightsailBucketAccessKeyProviderRoleDefaultPolicy29054BE3',
    ROLE,
  ],
  [
    'LightsailBucketAccessKeyProvider/LogGroup/Resource',
    'LightsailBucketAccessKeyProviderLogGroup349986A2',
    'renaming creates a new log group; the old one is retained (aws-cdk-lib keeps log groups) and orphaned with the ' +
      "handlers' logs so far",
  ],
  [
    'LightsailBucketAccessKeyProvider/RotationHandler/Resource',
    'LightsailBucketAccessKeyProviderRotationHandler6D0713CA',
    "is every rotation schedule's rotation function: renaming replaces it, and with it the function Secrets Manager " +
      'invokes for every rotating key, while a rotation may be running',
  ],
  [
    'LightsailBucketAccessKeyProvider/RotationRole/Resource',
    'LightsailBucketAccessKeyProviderRotationRole96E6B460',
    ROLE,
  ],
  [
    'LightsailBucketAccessKeyProvider/RotationRole/DefaultPolicy/Resource',
    'LightsailBucketAccessKeyProviderRotationRoleDefaultPolicy4BE8E583',
    ROLE,
  ],
  [
    'LightsailBucketAccessKeyProvider/RotationHandler/InvokedBySecretsManager',
    'LightsailBucketAccessKeyProviderRotationHandlerInvokedBySecretsManager822E5024',
    'lets Secrets Manager invoke the rotation function: renaming replaces it, and rotations started meanwhile fail',
  ],
  [
    'LightsailBucketAccessKeyProvider/GracePeriodSchedule/Resource',
    'LightsailBucketAccessKeyProviderGracePeriodSchedule3AF9D7F3',
    'is the hourly rule that ends grace periods: renaming replaces it, and a rule left behind by a failed cleanup ' +
      'would keep invoking the rotation function',
  ],
  [
    'Key/Resource/Default',
    'Key961B73FD',
    "is the key's custom resource (its primary resource, 'Resource'): renaming makes CloudFormation create it under " +
      'the new logical id and then delete the old logical id, whose Delete closes the lineage and deletes its keys, ' +
      'the one the new resource just answered with included',
  ],
  [
    'Key/Secret/Resource',
    'KeySecret4C0E54CF',
    "is the key's secret, whose name the lineage fixes: renaming makes CloudFormation create a second secret of the " +
      'same name (refused: it exists) and would delete the one that records the keys',
  ],
  [
    'Key/RotationSchedule',
    'KeyRotationSchedule011D0177',
    "is the key's rotation: a secret holds one rotation configuration, so renaming sets it under the new id and the " +
      'cleanup of the old id then turns rotation off (cloudformation-coverage-roadmap #1813)',
  ],
  [
    'Key/Secret/Policy/Resource',
    'KeySecretPolicy58C23495',
    "is the secret's resource policy (grants to other accounts): a secret holds one, so renaming puts it under the " +
      "new id and the cleanup of the old id deletes the secret's resource policy, as for the rotation schedule",
  ],
];

const SECURITY_GROUP =
  "is a handler function's security group: renaming replaces it, and Lambda moves the function's network " +
  'interfaces to the new one while keys may be deploying';

/** In a VPC, also the security group aws-cdk-lib makes for each function. */
const PINNED_IN_VPC: ReadonlyArray<[string, string, string]> = [
  ...PINNED,
  [
    'LightsailBucketAccessKeyProvider/Handler/SecurityGroup/Resource',
    'LightsailBucketAccessKeyProviderHandlerSecurityGroup9D4A7B16',
    SECURITY_GROUP,
  ],
  [
    'LightsailBucketAccessKeyProvider/RotationHandler/SecurityGroup/Resource',
    'LightsailBucketAccessKeyProviderRotationHandlerSecurityGroupD4C10DCA',
    SECURITY_GROUP,
  ],
];

/** A stack with every pinned resource: a rotating key with a grace period, read from another account. */
function stackWithEverything(inVpc: boolean): Stack {
  const stack = new Stack(new App(), 'TestStack', { env: { account: '111111111111', region: 'eu-west-1' } });
  const bucket = new lightsail.CfnBucket(stack, 'Bucket', { bucketName: 'media-assets', bundleId: 'small_1_0' });
  const key = new BucketAccessKey(stack, 'Key', {
    bucket,
    encryptionKey: new kms.Key(stack, 'Cmk'),
    rotation: { automaticallyAfter: Duration.days(30), gracePeriod: Duration.days(1) },
    vpc: inVpc ? new ec2.Vpc(stack, 'Vpc') : undefined,
  });
  key.grantRead(new iam.AccountPrincipal('222222222222'));
  return stack;
}

/** What is wrong with the pinned ids in this stack, each with why it matters: empty when nothing is. */
function renamed(stack: Stack, pinned: ReadonlyArray<[string, string, string]>): string[] {
  const elements = new Map(
    stack.node
      .findAll()
      .filter((c): c is CfnElement => c instanceof CfnElement)
      .map((c) => [c.node.path.slice(stack.node.path.length + 1), stack.getLogicalId(c)]),
  );
  return pinned.flatMap(([path, logicalId, why]) => {
    const actual = elements.get(path);
    if (actual === logicalId) return [];
    const what = actual === undefined ? `is gone (no construct at ${path})` : `is now ${actual}`;
    return [`${path}: logical id ${logicalId} ${what}. It ${why}.`];
  });
}

test.each([
  ['outside a VPC', false, PINNED],
  ['in a VPC', true, PINNED_IN_VPC],
])('the construct ids that name deployed resources are unchanged, %s', (_, inVpc, pinned) => {
  expect(renamed(stackWithEverything(inVpc), pinned)).toEqual([]);
});

test('a rename is caught, and the failure says why the id is API', () => {
  const stack = stackWithEverything(false);
  stack.renameLogicalId('LightsailBucketAccessKeyProviderHandlerF83EC5A5', 'RenamedHandler');
  expect(renamed(stack, PINNED)).toEqual([
    'LightsailBucketAccessKeyProvider/Handler/Resource: logical id LightsailBucketAccessKeyProviderHandlerF83EC5A5 ' +
      `is now RenamedHandler. It ${SERVICE_TOKEN}.`,
  ]);
});
