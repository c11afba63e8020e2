/**
 * Where the stack's key handlers run: outside any VPC, or in the VPC placement (`vpc`, `vpcSubnets`,
 * `securityGroups`) of the key that created them, which every later key that sets one must agree with. In a VPC,
 * the handlers' roles get the network interface statement Lambda needs, and a security group of their own allows
 * outbound HTTPS only.
 */
import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { fail } from './errors';

/**
 * Where the stack's handler functions run: the `vpc`, `vpcSubnets` and `securityGroups` of the keys that set them,
 * as `lambda.FunctionProps` names them.
 */
export interface HandlerNetwork {
  readonly vpc?: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
  readonly securityGroups?: ec2.ISecurityGroup[];
}

/** A VPC placement, resolved: what it is (to compare two), how to say it, and who chose it. */
export interface Placement extends HandlerNetwork {
  readonly vpc: ec2.IVpc;
  readonly signature: string;
  readonly description: string;
  readonly by: string;
  /** Whether some of its subnets are isolated: no route to NAT, so no way to the Lightsail API. */
  readonly isolated: boolean;
}

/**
 * A key's VPC placement, or undefined when it sets no VPC. Its signature is the VPC, the selected subnets and the
 * security groups (or none: one of the function's own) as CloudFormation would receive them, so two keys that select
 * the same subnets in different words agree.
 */
export function placementOf(key: Construct, network: HandlerNetwork): Placement | undefined {
  const { vpc, vpcSubnets, securityGroups } = network;
  if (!vpc) return undefined;
  const stack = Stack.of(key);
  const selected = vpc.selectSubnets(vpcSubnets);
  const publicIds = new Set(vpc.publicSubnets.map((s) => s.subnetId));
  if (selected.subnetIds.some((id) => publicIds.has(id))) {
    fail(
      key,
      '`vpcSubnets` selects public subnets: a Lambda function there gets no public IP address, so the handlers ' +
        'could not reach the Lightsail API. Select private subnets that route to a NAT gateway ' +
        '(`{ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }`).',
    );
  }
  const isolatedIds = new Set(vpc.isolatedSubnets.map((s) => s.subnetId));
  const ids = (values: string[]) =>
    JSON.stringify(
      values
        .map((v) => stack.resolve(v))
        .map((v) => JSON.stringify(v))
        .sort(),
    );
  const paths = (constructs: Construct[]) => constructs.map((c) => c.node.path).join(', ');
  return {
    vpc,
    vpcSubnets,
    securityGroups,
    signature: JSON.stringify([
      stack.resolve(vpc.vpcId),
      ids(selected.subnetIds),
      securityGroups ? ids(securityGroups.map((g) => g.securityGroupId)) : 'own',
    ]),
    description:
      `vpc ${vpc.node.path}, subnets ${paths(selected.subnets)}, ` +
      (securityGroups ? `security groups ${paths(securityGroups)}` : 'a security group of their own'),
    by: key.node.path,
    isolated: selected.subnetIds.some((id) => isolatedIds.has(id)),
  };
}

/**
 * Checks that a key's VPC settings agree with the handlers' placement (`current`, chosen by `createdBy`). A key that
 * sets no VPC takes the handlers as they are; one that sets a VPC needs the same placement as the key that created
 * them, or a synth error says which key differs (the functions' network is fixed when they are created, and with it
 * their compliance acknowledgements).
 */
export function checkSamePlacement(
  current: Placement | undefined,
  createdBy: string,
  wanted: Placement | undefined,
  key: Construct,
): void {
  if (!wanted || wanted.signature === current?.signature) return;
  const keys =
    'The keys of a stack share their handler functions: give them the same `vpc`, `vpcSubnets` and `securityGroups`';
  if (!current) {
    fail(
      key,
      `its handlers are to run in a VPC (${wanted.description}), but the stack's key handlers were created ` +
        `outside a VPC for ${createdBy}, the stack's first key. ${keys} (or create this key first).`,
    );
  }
  fail(
    key,
    `its VPC placement (${wanted.description}) differs from the one of ${current.by} ` +
      `(${current.description}). ${keys}.`,
  );
}

/** The network props of a handler function in `placement`, or none outside a VPC. */
export function functionNetwork(placement: Placement | undefined): Partial<lambda.FunctionProps> {
  return {
    vpc: placement?.vpc,
    vpcSubnets: placement?.vpcSubnets,
    securityGroups: placement?.securityGroups,
    // The security group aws-cdk-lib makes for a function that is given none allows only what is added below.
    allowAllOutbound: placement && !placement.securityGroups ? false : undefined,
  };
}

/**
 * Every call the handlers make is HTTPS: the Lightsail and Secrets Manager APIs, and CloudFormation's response URL
 * (DNS goes to the VPC's resolver, which security groups do not filter). Opened on the function's own security
 * group, when it has one.
 */
export function allowHttpsOut(fn: lambda.Function, placement: Placement | undefined): void {
  if (placement && !placement.securityGroups) {
    fn.connections.allowToAnyIpv4(ec2.Port.tcp(443), 'HTTPS to AWS APIs and the CloudFormation response URL');
  }
}

/** The statements a handler's role needs in `placement`: none outside a VPC. */
export function placementStatements(placement: Placement | undefined): iam.PolicyStatement[] {
  return placement ? [NETWORK_INTERFACES] : [];
}

/**
 * What Lambda needs to give a function network interfaces in a VPC: the actions of the AWS managed policy
 * AWSLambdaVPCAccessExecutionRole (its logs actions aside, which the handlers have on their own log group), as our
 * own statement. aws-cdk-lib attaches that managed policy only to a role it creates for the function; ours is given.
 * ec2:DescribeNetworkInterfaces works only on "*" (Lambda developer guide, "Giving Lambda functions access to
 * resources in an Amazon VPC", execution role permissions).
 */
const NETWORK_INTERFACES = new iam.PolicyStatement({
  actions: [
    'ec2:CreateNetworkInterface',
    'ec2:DescribeNetworkInterfaces',
    'ec2:DescribeSubnets',
    'ec2:DeleteNetworkInterface',
    'ec2:AssignPrivateIpAddresses',
    'ec2:UnassignPrivateIpAddresses',
  ],
  resources: ['*'],
});
