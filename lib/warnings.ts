/**
 * The synth warnings, each with the id a user acknowledges it by (`cdk-lightsail-bucket-access-key:<id>`): what
 * could work after all, or works with a wider permission than wanted, where an error would stop a deploy that is
 * right.
 */
import { Annotations, Stack, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { regionProblem } from './validation';

type WarningId = 'manyBuckets' | 'regionWithoutLightsail' | 'isolatedSubnets';

function warn(scope: IConstruct, id: WarningId, message: string): void {
  Annotations.of(scope).addWarningV2(`cdk-lightsail-bucket-access-key:${id}`, message);
}

/** Once per stack, when its region is known: a warning, since AWS adds regions that this list does not know yet. */
export function warnOfRegionWithoutLightsail(scope: IConstruct): void {
  const region = Stack.of(scope).region;
  const problem = Token.isUnresolved(region) ? undefined : regionProblem(region);
  if (!problem) return;
  warn(
    scope,
    'regionWithoutLightsail',
    `${problem}: Lightsail buckets and their access keys exist only in its regions, so this stack's keys would ` +
      `fail at deploy time. Deploy the stack to the region of its buckets or, if Lightsail has added ${region} ` +
      'since, acknowledge this warning.',
  );
}

/** The handlers are placed in isolated subnets: a warning, since the subnets may reach the internet another way. */
export function warnOfIsolatedSubnets(scope: IConstruct): void {
  warn(
    scope,
    'isolatedSubnets',
    'The key handlers are placed in isolated subnets, which have no route to a NAT gateway. The Lightsail API ' +
      'has no VPC endpoint, so the handlers could not reach it and each key would time out at deploy time. ' +
      'Select private subnets with NAT (`ec2.SubnetType.PRIVATE_WITH_EGRESS`), or acknowledge this warning if ' +
      'the subnets reach the internet another way (a transit gateway, a proxy).',
  );
}

/** Keys of more CfnBuckets than the handlers' key statement names one by one: it covers every bucket instead. */
export function warnOfManyBuckets(scope: IConstruct, namedBuckets: number): void {
  warn(
    scope,
    'manyBuckets',
    `Keys of more than ${namedBuckets} CfnBuckets in this stack: the handlers may create and delete keys of ` +
      "any Lightsail bucket in the stack's account and region, as one ARN per bucket would exceed IAM's policy " +
      'size quota. Split the buckets across stacks to keep the permission scoped to each bucket.',
  );
}
