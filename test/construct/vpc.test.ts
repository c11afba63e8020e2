/**
 * The stack's shared handler functions in a VPC (`vpc`, `vpcSubnets`, `securityGroups`), against the default
 * placement outside any VPC: where they run, what their roles may do, and every synth-time error and warning.
 */
import { App, Annotations as cdkAnnotations, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lightsail from 'aws-cdk-lib/aws-lightsail';
import { BucketAccessKey, type BucketAccessKeyProps } from '../../lib';

const ENI_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

function newStack(): Stack {
  return new Stack(new App(), 'TestStack', { env: { account: '123456789012', region: 'eu-west-1' } });
}

function newVpc(stack: Stack, id = 'Vpc'): ec2.Vpc {
  return new ec2.Vpc(stack, id, {
    maxAzs: 2,
    natGateways: 1,
    subnetConfiguration: [
      { name: 'Public', subnetType: ec2.SubnetType.PUBLIC },
      { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      { name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    ],
  });
}

/** A rotating key on a CfnBucket (both handler functions) and a key of a bucket given by name. */
function keys(stack: Stack, network: Partial<BucketAccessKeyProps> = {}): void {
  const bucket = new lightsail.CfnBucket(stack, 'Bucket', { bucketName: 'media-assets', bundleId: 'small_1_0' });
  new BucketAccessKey(stack, 'Rotating', {
    bucket,
    rotation: { automaticallyAfter: Duration.days(30), gracePeriod: Duration.days(1) },
    ...network,
  });
  new BucketAccessKey(stack, 'Plain', { bucketName: 'existing-bucket', ...network });
}

function functions(template: Template): Record<string, any> {
  return template.findResources('AWS::Lambda::Function');
}

/** Each handler role's policy statements, by the role's logical id. */
function policiesByRole(template: Template): Record<string, any[]> {
  const out: Record<string, any[]> = {};
  for (const policy of Object.values<any>(template.findResources('AWS::IAM::Policy'))) {
    out[policy.Properties.Roles[0].Ref] = policy.Properties.PolicyDocument.Statement;
  }
  return out;
}

describe('outside a VPC (the default)', () => {
  test('the functions have no VPC configuration, their roles no network interface permission', () => {
    const stack = newStack();
    keys(stack);
    const template = Template.fromStack(stack);

    expect(Object.keys(functions(template))).toHaveLength(2);
    for (const fn of Object.values(functions(template))) expect(fn.Properties.VpcConfig).toBeUndefined();
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('ec2:');
    template.resourceCountIs('AWS::EC2::SecurityGroup', 0);
  });
});

describe('in a VPC', () => {
  test("both functions run in the VPC's private subnets, each with a security group that allows outbound HTTPS only", () => {
    const stack = newStack();
    const vpc = newVpc(stack);
    keys(stack, { vpc });
    const template = Template.fromStack(stack);

    const privateSubnets = vpc.privateSubnets.map((s) => stack.resolve(s.subnetId));
    const groups = template.findResources('AWS::EC2::SecurityGroup');
    expect(Object.keys(groups)).toHaveLength(2);
    for (const [id, fn] of Object.entries(functions(template))) {
      const groupId = fn.Properties.VpcConfig.SecurityGroupIds[0]['Fn::GetAtt'][0];
      expect(fn.Properties.VpcConfig).toEqual({
        SubnetIds: privateSubnets,
        SecurityGroupIds: [{ 'Fn::GetAtt': [groupId, 'GroupId'] }],
      });
      expect(groupId.startsWith(id.replace(/[0-9A-F]{8}$/, ''))).toBe(true);
      expect(groups[groupId].Properties.SecurityGroupEgress).toEqual([
        {
          CidrIp: '0.0.0.0/0',
          Description: 'HTTPS to AWS APIs and the CloudFormation response URL',
          FromPort: 443,
          IpProtocol: 'tcp',
          ToPort: 443,
        },
      ]);
      expect(groups[groupId].Properties.SecurityGroupIngress).toBeUndefined();
    }
  });

  test("each role may do what it may outside a VPC, plus Lambda's network interface actions: an inline statement, no managed policy", () => {
    const outside = newStack();
    keys(outside);
    const inside = newStack();
    keys(inside, { vpc: newVpc(inside) });
    const before = policiesByRole(Template.fromStack(outside));
    const after = policiesByRole(Template.fromStack(inside));

    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    for (const [role, statements] of Object.entries(after)) {
      expect(statements).toEqual([...before[role], { Action: ENI_ACTIONS, Effect: 'Allow', Resource: '*' }]);
    }
    Template.fromStack(inside).resourcePropertiesCountIs('AWS::IAM::Role', { ManagedPolicyArns: Match.anyValue() }, 0);
  });

  test('each function is created after its permissions, and after the NAT routes of its subnets', () => {
    const stack = newStack();
    keys(stack, { vpc: newVpc(stack) });
    const template = Template.fromStack(stack);
    const policies = Object.keys(template.findResources('AWS::IAM::Policy'));
    for (const fn of Object.values(functions(template))) {
      expect(policies.filter((p) => fn.DependsOn.includes(p))).toHaveLength(1);
      expect(fn.DependsOn.some((d: string) => /PrivateSubnet\dDefaultRoute/.test(d))).toBe(true);
    }
  });

  test('security groups given are used as they are, and none is made', () => {
    const stack = newStack();
    const vpc = newVpc(stack);
    const handlers = new ec2.SecurityGroup(stack, 'Handlers', { vpc });
    keys(stack, { vpc, securityGroups: [handlers] });
    const template = Template.fromStack(stack);

    template.resourceCountIs('AWS::EC2::SecurityGroup', 1);
    for (const fn of Object.values(functions(template))) {
      expect(fn.Properties.VpcConfig.SecurityGroupIds).toEqual([stack.resolve(handlers.securityGroupId)]);
    }
  });

  test('vpcSubnets selects the subnets; isolated ones draw a warning that can be acknowledged', () => {
    const stack = newStack();
    const vpc = newVpc(stack);
    keys(stack, { vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } });
    const template = Template.fromStack(stack);

    for (const fn of Object.values(functions(template))) {
      expect(fn.Properties.VpcConfig.SubnetIds).toEqual(vpc.isolatedSubnets.map((s) => stack.resolve(s.subnetId)));
    }
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('isolated subnets'));
    expect(warnings.map((w) => w.id)).toEqual(['/TestStack/LightsailBucketAccessKeyProvider']);
    expect(String(warnings[0].entry.data)).toContain('cdk-lightsail-bucket-access-key:isolatedSubnets');

    const acknowledged = newStack();
    keys(acknowledged, { vpc: newVpc(acknowledged), vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } });
    cdkAnnotations
      .of(acknowledged)
      .acknowledgeWarning(
        'cdk-lightsail-bucket-access-key:isolatedSubnets',
        'The subnets reach the internet through a transit gateway.',
      );
    Annotations.fromStack(acknowledged).hasNoWarning('*', Match.stringLikeRegexp('isolated subnets'));
  });

  test('a key without VPC settings after one with them shares the handlers in the VPC', () => {
    const stack = newStack();
    const vpc = newVpc(stack);
    new BucketAccessKey(stack, 'First', { bucketName: 'bucket-one', vpc });
    new BucketAccessKey(stack, 'Second', { bucketName: 'bucket-two' });
    const fn: any = Object.values(functions(Template.fromStack(stack)))[0];
    expect(fn.Properties.VpcConfig).toBeDefined();
  });

  test('two keys that select the same subnets in different words agree', () => {
    const stack = newStack();
    const vpc = newVpc(stack);
    new BucketAccessKey(stack, 'First', { bucketName: 'bucket-one', vpc });
    expect(
      () =>
        new BucketAccessKey(stack, 'Second', {
          bucketName: 'bucket-two',
          vpc,
          vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        }),
    ).not.toThrow();
  });
});

describe('errors', () => {
  test.each([
    ['vpcSubnets', { vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } }],
    ['securityGroups', { securityGroups: [] }],
  ])('%s without vpc', (_, network) => {
    const stack = newStack();
    expect(() => new BucketAccessKey(stack, 'Key', { bucketName: 'media-assets', ...network })).toThrow(
      'BucketAccessKey TestStack/Key: `vpcSubnets` and `securityGroups` place the handlers in a VPC: give the `vpc` too.',
    );
  });

  test('public subnets: the functions would get no public address', () => {
    const stack = newStack();
    const vpc = newVpc(stack);
    expect(
      () =>
        new BucketAccessKey(stack, 'Key', {
          bucketName: 'media-assets',
          vpc,
          vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
        }),
    ).toThrow(/^BucketAccessKey TestStack\/Key: `vpcSubnets` selects public subnets: .*PRIVATE_WITH_EGRESS/);
  });

  test('a key in another VPC than the first one: the error names both placements', () => {
    const stack = newStack();
    new BucketAccessKey(stack, 'First', { bucketName: 'bucket-one', vpc: newVpc(stack, 'One') });
    expect(() => new BucketAccessKey(stack, 'Second', { bucketName: 'bucket-two', vpc: newVpc(stack, 'Two') })).toThrow(
      'BucketAccessKey TestStack/Second: its VPC placement (vpc TestStack/Two, subnets TestStack/Two/PrivateSubnet1, ' +
        'TestStack/Two/PrivateSubnet2, a security group of their own) differs from the one of TestStack/First (vpc ' +
        'TestStack/One, subnets TestStack/One/PrivateSubnet1, TestStack/One/PrivateSubnet2, a security group of ' +
        'their own). The keys of a stack share their handler functions: give them the same `vpc`, `vpcSubnets` and ' +
        '`securityGroups`.',
    );
  });

  test.each([
    ['other subnets', (vpc: ec2.Vpc) => ({ vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED }, vpc })],
    ['security groups given', (vpc: ec2.Vpc) => ({ securityGroups: [new ec2.SecurityGroup(vpc, 'Sg', { vpc })], vpc })],
  ])('a key in the same VPC with %s disagrees', (_, network) => {
    const stack = newStack();
    const vpc = newVpc(stack);
    new BucketAccessKey(stack, 'First', { bucketName: 'bucket-one', vpc });
    expect(() => new BucketAccessKey(stack, 'Second', { bucketName: 'bucket-two', ...network(vpc) })).toThrow(
      /^BucketAccessKey TestStack\/Second: its VPC placement \(.*\) differs from the one of TestStack\/First/,
    );
  });

  test("a key with a VPC after the stack's first key, without one: the handlers already run outside", () => {
    const stack = newStack();
    new BucketAccessKey(stack, 'First', { bucketName: 'bucket-one' });
    expect(() => new BucketAccessKey(stack, 'Second', { bucketName: 'bucket-two', vpc: newVpc(stack) })).toThrow(
      /^BucketAccessKey TestStack\/Second: its handlers are to run in a VPC \(vpc TestStack\/Vpc, .*\), but the stack's key handlers were created outside a VPC for TestStack\/First, the stack's first key\. .* \(or create this key first\)\.$/,
    );
  });
});
