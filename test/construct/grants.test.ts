/**
 * Grants on a key behave as grants on a `secretsmanager.Secret` do: within the account through the principal's
 * policy; for any other principal through a resource policy on the key's secret, with the KMS key policy statement
 * Secret would add, and refused without a customer-managed KMS key. Whether the user grants on the key or on its
 * secret makes no difference.
 */
import { App, Stack, type StackProps } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { BucketAccessKey } from '../../lib';

const ACCOUNT = '111111111111';
const OTHER_ACCOUNT = '222222222222';
const IN_ACCOUNT: StackProps = { env: { account: ACCOUNT, region: 'eu-west-1' } };

/** The principal kinds a resource policy applies to, each of another account (or of none). */
const OUTSIDERS: Array<[string, () => iam.IPrincipal]> = [
  ['an account principal', () => new iam.AccountPrincipal(OTHER_ACCOUNT)],
  ['an ARN principal', () => new iam.ArnPrincipal(`arn:aws:iam::${OTHER_ACCOUNT}:role/Reader`)],
  ['a service principal', () => new iam.ServicePrincipal('ecs-tasks.amazonaws.com')],
  ['an organization principal', () => new iam.OrganizationPrincipal('o-abcdefghij')],
];

/** Both ways users grant: on the key, and on its secret. */
const GRANTS: Array<[string, (key: BucketAccessKey, p: iam.IGrantable) => iam.Grant]> = [
  ['key.grantRead', (key, p) => key.grantRead(p)],
  ['key.secret.grantRead', (key, p) => key.secret.grantRead(p)],
];

function keyIn(props: StackProps | undefined, withCmk: boolean): { stack: Stack; key: BucketAccessKey } {
  const stack = new Stack(new App(), 'TestStack', props);
  const encryptionKey = withCmk ? new kms.Key(stack, 'Cmk') : undefined;
  return { stack, key: new BucketAccessKey(stack, 'Key', { bucketName: 'media-assets', encryptionKey }) };
}

const logicalId = (stack: Stack, construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as never);

describe.each(GRANTS)('%s to a principal of another account', (_, grantRead) => {
  test.each(OUTSIDERS)(
    '%s: a statement in the secret resource policy and in the KMS key policy',
    (_kind, principal) => {
      const { stack, key } = keyIn(IN_ACCOUNT, true);
      const grant = grantRead(key, principal());
      const template = Template.fromStack(stack);
      const expectedPrincipal = stack.resolve(principal().policyFragment.principalJson);

      expect(grant.resourceStatement).toBeDefined();
      const secretId = logicalId(stack, key.node.findChild('Secret'));
      const resourceId = logicalId(stack, key.node.findChild('Resource'));
      template.resourceCountIs('AWS::SecretsManager::ResourcePolicy', 1);
      template.hasResourceProperties('AWS::SecretsManager::ResourcePolicy', {
        SecretId: { Ref: secretId },
        ResourcePolicy: {
          Statement: [
            Match.objectLike({
              Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
              Effect: 'Allow',
              Principal: Match.objectEquals(normalize(expectedPrincipal)),
              // The secret as consumers see it: through the custom resource, once the key is in it.
              Resource: { 'Fn::GetAtt': [resourceId, 'SecretArn'] },
            }),
          ],
        },
      });
      template.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: 'kms:Decrypt',
              Principal: Match.objectEquals(normalize(expectedPrincipal)),
              Condition: {
                StringEquals: Match.objectLike({ 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' }),
              },
            }),
          ]),
        },
      });
    },
  );

  test.each(OUTSIDERS)(
    '%s, without a customer-managed KMS key: an error naming the key and the fix',
    (_, principal) => {
      const { key } = keyIn(IN_ACCOUNT, false);
      expect(() => grantRead(key, principal())).toThrow(
        new RegExp(
          `^BucketAccessKey TestStack/Key: .+ is not a principal of the stack's account ${ACCOUNT}, .+ AWS managed key ` +
            '\\(aws/secretsmanager\\), which other accounts cannot use\\. Give the key a customer-managed KMS key as ' +
            '`encryptionKey` to share it\\.$',
        ),
      );
    },
  );

  test('a role of a stack in another account: its policy and the resource policy both grant', () => {
    const app = new App();
    const stack = new Stack(app, 'TestStack', IN_ACCOUNT);
    const key = new BucketAccessKey(stack, 'Key', {
      bucketName: 'media-assets',
      encryptionKey: new kms.Key(stack, 'C'),
    });
    const other = new Stack(app, 'Other', { env: { account: OTHER_ACCOUNT, region: 'eu-west-1' } });
    const role = new iam.Role(other, 'Reader', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      roleName: 'reader',
    });
    grantRead(key, role);
    Template.fromStack(stack).hasResourceProperties('AWS::SecretsManager::ResourcePolicy', {
      ResourcePolicy: { Statement: [Match.objectLike({ Principal: { AWS: Match.anyValue() } })] },
    });
    Template.fromStack(other).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [Match.objectLike({ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'] })],
      },
    });
  });
});

describe.each(GRANTS)('%s within the account', (_, grantRead) => {
  test('a role: a statement in its own policy, on the secret as the custom resource returns it; no resource policy', () => {
    const { stack, key } = keyIn(IN_ACCOUNT, false);
    const role = new iam.Role(stack, 'Consumer', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    const grant = grantRead(key, role);

    expect(grant.resourceStatement).toBeUndefined();
    const resourceId = logicalId(stack, key.node.findChild('Resource'));
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SecretsManager::ResourcePolicy', 0);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('Consumer') }],
      PolicyDocument: {
        Statement: [
          {
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [resourceId, 'SecretArn'] },
          },
        ],
      },
    });
  });

  test('in a stack of no known account, as in one of a known account', () => {
    const { stack, key } = keyIn(undefined, false);
    const role = new iam.Role(stack, 'Consumer', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    expect(grantRead(key, role).resourceStatement).toBeUndefined();
    Template.fromStack(stack).resourceCountIs('AWS::SecretsManager::ResourcePolicy', 0);
  });

  test("the account's root: a resource policy statement, and no customer-managed key needed", () => {
    const { stack, key } = keyIn(IN_ACCOUNT, false);
    grantRead(key, new iam.AccountRootPrincipal());
    Template.fromStack(stack).hasResourceProperties('AWS::SecretsManager::ResourcePolicy', {
      ResourcePolicy: {
        Statement: [
          Match.objectLike({ Principal: { AWS: { 'Fn::Join': ['', Match.arrayWith([`:iam::${ACCOUNT}:root`])] } } }),
        ],
      },
    });
  });
});

describe('the same decisions as secretsmanager.Secret', () => {
  const principals: Array<[string, () => iam.IPrincipal]> = [
    ...OUTSIDERS,
    ['the account root', () => new iam.AccountRootPrincipal()],
    ['an account principal of the stack account', () => new iam.AccountPrincipal(ACCOUNT)],
  ];
  const cases = [undefined, IN_ACCOUNT].flatMap((props) =>
    [false, true].flatMap((withCmk) =>
      principals.map(([kind, principal]) => ({
        where: props ? 'a stack of a known account' : 'a stack of no known account',
        withCmk,
        kind,
        props,
        principal,
      })),
    ),
  );

  test.each(cases)('$kind in $where, customer-managed key: $withCmk', ({ props, withCmk, principal }) => {
    // The reference: a Secret in the same situation.
    const stack = new Stack(new App(), 'Reference', props);
    const secret = new secretsmanager.Secret(stack, 'Secret', {
      encryptionKey: withCmk ? new kms.Key(stack, 'Cmk') : undefined,
    });
    const expected = outcome(() => secret.grantRead(principal()));

    const { key } = keyIn(props, withCmk);
    expect(outcome(() => key.grantRead(principal()))).toEqual(expected);
    expect(outcome(() => keyIn(props, withCmk).key.secret.grantRead(principal()))).toEqual(expected);
  });

  /** What a grant did: refused, or where its statements went. */
  function outcome(grant: () => iam.Grant): string {
    try {
      const g = grant();
      return `principal policy: ${g.principalStatement !== undefined}, resource policy: ${g.resourceStatement !== undefined}`;
    } catch {
      return 'refused';
    }
  }
});

test('versionStages limit a grant on the secret, as on a Secret', () => {
  const { stack, key } = keyIn(IN_ACCOUNT, true);
  key.secret.grantRead(new iam.AccountPrincipal(OTHER_ACCOUNT), ['AWSCURRENT']);
  Template.fromStack(stack).hasResourceProperties('AWS::SecretsManager::ResourcePolicy', {
    ResourcePolicy: {
      Statement: [
        Match.objectLike({
          Condition: { 'ForAnyValue:StringEquals': { 'secretsmanager:VersionStage': ['AWSCURRENT'] } },
        }),
      ],
    },
  });
});

test("grantWrite reaches another account through the resource policy too, with encrypt on the key's KMS key", () => {
  const { stack, key } = keyIn(IN_ACCOUNT, true);
  key.secret.grantWrite(new iam.AccountPrincipal(OTHER_ACCOUNT));
  const template = Template.fromStack(stack);
  template.hasResourceProperties('AWS::SecretsManager::ResourcePolicy', {
    ResourcePolicy: {
      Statement: [Match.objectLike({ Action: Match.arrayWith(['secretsmanager:PutSecretValue']) })],
    },
  });
  template.hasResourceProperties('AWS::KMS::Key', {
    KeyPolicy: {
      Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['kms:Encrypt']) })]),
    },
  });
});

test('statements added to the secret resource policy by hand land on the secret CloudFormation owns', () => {
  const { stack, key } = keyIn(IN_ACCOUNT, false);
  const result = key.secret.addToResourcePolicy(
    new iam.PolicyStatement({
      actions: ['secretsmanager:DeleteSecret'],
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      resources: ['*'],
    }),
  );
  expect(result.statementAdded).toBe(true);
  Template.fromStack(stack).hasResourceProperties('AWS::SecretsManager::ResourcePolicy', {
    SecretId: { Ref: logicalId(stack, key.node.findChild('Secret')) },
  });
});

/** Principal JSON as a template holds it: single values unwrapped from their arrays. */
function normalize(principalJson: Record<string, unknown[]>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(principalJson).map(([k, v]) => [k, v.length === 1 ? v[0] : v]));
}

describe("the secret's other members", () => {
  test('values and dynamic references read the secret through the custom resource', () => {
    const { stack, key } = keyIn(IN_ACCOUNT, false);
    const resourceId = logicalId(stack, key.node.findChild('Resource'));
    const arn = { 'Fn::GetAtt': [resourceId, 'SecretArn'] };
    expect(stack.resolve(key.secret.secretArn)).toEqual(arn);
    expect(stack.resolve(key.secret.secretFullArn)).toEqual(arn);
    expect(stack.resolve(key.secret.secretRef.secretId)).toEqual(arn);
    for (const value of [key.secret.secretValueFromJson('accessKeyId'), key.secret.secretValue]) {
      expect(JSON.stringify(stack.resolve(value))).toContain(`{"Fn::GetAtt":["${resourceId}","SecretArn"]}`);
    }
    expect(JSON.stringify(stack.resolve(key.secret.cfnDynamicReferenceKey({ jsonField: 'bucketName' })))).toContain(
      ':SecretString:bucketName::',
    );
  });

  test("denyAccountRootDelete goes on the owned secret's resource policy", () => {
    const { stack, key } = keyIn(IN_ACCOUNT, false);
    key.secret.denyAccountRootDelete();
    Template.fromStack(stack).hasResourceProperties('AWS::SecretsManager::ResourcePolicy', {
      SecretId: { Ref: logicalId(stack, key.node.findChild('Secret')) },
      ResourcePolicy: {
        Statement: [Match.objectLike({ Action: 'secretsmanager:DeleteSecret', Effect: 'Deny' })],
      },
    });
  });
});
