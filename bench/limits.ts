/**
 * Service quotas a stack of keys runs into, and the resolved size of the handler role's policies.
 *
 * IAM measures a policy in characters without white space, after CloudFormation resolved it. aws-cdk-lib cannot
 * know resolved sizes, so it estimates every unresolved ARN at 150 characters, keeps the role's inline policy under
 * 10,000 estimated characters, and moves whole statements that do not fit into extra managed policies (at most
 * 6,000 estimated characters each). A statement is never split, so one statement that is larger than a managed
 * policy can hold fails at deploy time.
 */
import { randomUUID } from 'node:crypto';
import { type ResolvedResource, type Template, resolveValue } from '../test/lifecycle/template';

/** CloudFormation: resources per stack, and template body size (the S3-hosted template `cdk deploy` uses). */
export const CFN_MAX_RESOURCES = 500;
export const CFN_MAX_TEMPLATE_BYTES = 1_048_576;
/** IAM: all inline policies of one role together. */
export const IAM_ROLE_INLINE_LIMIT = 10_240;
/** IAM: one customer managed policy. */
export const IAM_MANAGED_POLICY_LIMIT = 6_144;
/** IAM: managed policies attached to one role (the default quota). */
export const IAM_MANAGED_POLICIES_PER_ROLE = 10;

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

export interface RolePolicySizes {
  /** All inline policies of the handler role together. */
  inlineChars: number;
  /** Each customer managed policy attached to the role (aws-cdk-lib's overflow policies). */
  managedChars: number[];
  /** Whether IAM accepts all of them. */
  fits: boolean;
}

/**
 * The handler role's policies with intrinsics resolved to realistic values: a bucket ARN is
 * `arn:aws:lightsail:us-east-1:123456789012:Bucket/` plus a 36-character id; other ARNs name the stack, the
 * logical id and a 12-character suffix, as CloudFormation's generated names do.
 */
export function rolePolicySizes(template: Template): RolePolicySizes {
  const resources = template.Resources;
  const handler = Object.values(resources).find((r) => r.Type === 'AWS::Lambda::Function');
  const roleId = (handler?.Properties?.Role as { 'Fn::GetAtt'?: string[] } | undefined)?.['Fn::GetAtt']?.[0];
  if (!roleId) throw new Error('no handler function with a role in the template');

  const attachedToRole = (r: Template['Resources'][string]) =>
    JSON.stringify(r.Properties?.Roles ?? []).includes(`"${roleId}"`);
  const ownInline = ((resources[roleId].Properties?.Policies as Array<{ PolicyDocument: unknown }>) ?? []).map(
    (p) => p.PolicyDocument,
  );
  const inline = Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && attachedToRole(r))
    .map((r) => r.Properties?.PolicyDocument);
  const managed = Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::ManagedPolicy' && attachedToRole(r))
    .map((r) => r.Properties?.PolicyDocument);

  const size = characterCounter(template);
  const inlineChars = [...ownInline, ...inline].map(size).reduce((a, b) => a + b, 0);
  const managedChars = managed.map(size);
  return {
    inlineChars,
    managedChars,
    fits:
      inlineChars <= IAM_ROLE_INLINE_LIMIT &&
      managedChars.every((c) => c <= IAM_MANAGED_POLICY_LIMIT) &&
      managedChars.length <= IAM_MANAGED_POLICIES_PER_ROLE,
  };
}

function characterCounter(template: Template): (document: unknown) => number {
  const deployed = simulatedDeployment(template);
  const stack = {
    stackName: 'BenchStack',
    stackId: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/BenchStack/${randomUUID()}`,
    region: REGION,
    accountId: ACCOUNT,
  };
  return (document) => JSON.stringify(resolveValue(document, deployed, stack, template)).replace(/\s/g, '').length;
}

function simulatedDeployment(template: Template): Map<string, ResolvedResource> {
  const deployed = new Map<string, ResolvedResource>();
  for (const [id, resource] of Object.entries(template.Resources)) {
    const physicalId = `BenchStack-${id}-${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const [, service = 'unknown', type = 'resource'] = resource.Type.toLowerCase().split('::');
    const attributes: Record<string, string> =
      resource.Type === 'AWS::Lightsail::Bucket'
        ? { BucketArn: `arn:aws:lightsail:${REGION}:${ACCOUNT}:Bucket/${randomUUID()}` }
        : resource.Type === 'AWS::Logs::LogGroup'
          ? { Arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${physicalId}:*` }
          : { Arn: `arn:aws:${service}:${REGION}:${ACCOUNT}:${type}/${physicalId}` };
    deployed.set(id, { physicalId, attributes });
  }
  return deployed;
}
