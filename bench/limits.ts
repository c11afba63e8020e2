/**
 * What limits a stack of keys, from the synthesized templates: CloudFormation's quotas on resources and template
 * bytes, and IAM's on the handler role's policies, which grow by one bucket ARN per CfnBucket (up to 40).
 */
import { randomUUID } from 'node:crypto';
import { RESOURCE_TYPE } from '../lib/contract';
import { type Template, resolveValue } from '../test/lifecycle/template';
import { KEYS_PER_BUCKET, KEY_COUNTS, synthesizeOnce, templateBytes } from './synth-scale';
import { round } from './stats';

/** CloudFormation: resources per stack, and the template body (S3-hosted, as `cdk deploy` uploads it). */
const CFN = { resources: 500, templateBytes: 1_048_576 };
/** IAM: all inline policies of one role together; one customer managed policy; managed policies per role. */
const IAM = { roleInlineChars: 10_240, managedPolicyChars: 6_144, managedPoliciesPerRole: 10 };
/** Beyond this many CfnBuckets a stack is over 500 resources anyway. */
const POLICY_SEARCH_MAX_BUCKETS = 250;

const isBucket = (type: string) => type === 'AWS::Lightsail::Bucket';
const isKeyPart = (type: string) => type === 'AWS::SecretsManager::Secret' || type === RESOURCE_TYPE;
const count = (t: Template, predicate: (type: string) => boolean) =>
  Object.values(t.Resources).filter((r) => predicate(r.Type)).length;
const withoutBuckets = (t: Template): Template => ({
  ...t,
  Resources: Object.fromEntries(Object.entries(t.Resources).filter(([, r]) => !isBucket(r.Type))),
});

/** `templates`: our stacks at KEY_COUNTS keys. */
export function measureStackLimits(templates: Template[]) {
  // Per-key numbers are slopes from 10 to 100 keys: steps that are not per key (such as aws-cdk-lib splitting off a
  // managed policy) then do not count. Fixed bytes come from the largest stack, the conservative side.
  const at = (keys: number) => templates[KEY_COUNTS.indexOf(keys)];
  const [small, large, largest] = [at(10), at(100), templates[templates.length - 1]];
  const largestKeys = KEY_COUNTS[KEY_COUNTS.length - 1];
  const bytesPerKey = (templateBytes(withoutBuckets(large)) - templateBytes(withoutBuckets(small))) / (100 - 10);
  const bytesPerBucket = (templateBytes(largest) - templateBytes(withoutBuckets(largest))) / count(largest, isBucket);
  const fixedBytes = templateBytes(withoutBuckets(largest)) - bytesPerKey * largestKeys;
  const resourcesPerKey = (count(large, (t) => !isBucket(t)) - count(small, (t) => !isBucket(t))) / (100 - 10);
  const byKeys = templates.map((t, i) => ({
    keys: KEY_COUNTS[i],
    fixedResources: count(t, (type) => !isBucket(type) && !isKeyPart(type)),
    ...rolePolicySizes(t),
  }));
  // The handler's four resources; a role policy too large to stay inline would add a managed policy.
  const fixedResources = Math.min(...byKeys.map((r) => r.fixedResources));
  const maxKeys = (resources: number, bytes: number) =>
    Math.min(
      Math.floor((CFN.resources - fixedResources) / resources),
      Math.floor((CFN.templateBytes - fixedBytes) / bytes),
    );
  const withBuckets = maxKeys(resourcesPerKey + 1 / KEYS_PER_BUCKET, bytesPerKey + bytesPerBucket / KEYS_PER_BUCKET);
  // Binary search for the most CfnBuckets whose role policies fit IAM's quotas. The policy grows per bucket, not per
  // key, so each probe has one key per bucket; once too large, it stays too large.
  const probe = (buckets: number) => ({
    cfnBuckets: buckets,
    ...rolePolicySizes(synthesizeOnce('ours', buckets, 1).template),
  });
  let fitting = probe(1);
  if (!fitting.fitsIam) throw new Error('the role policies of a one-bucket stack do not fit IAM quotas');
  let failing: typeof fitting | undefined = probe(POLICY_SEARCH_MAX_BUCKETS);
  if (failing.fitsIam) [fitting, failing] = [failing, undefined];
  while (failing && failing.cfnBuckets - fitting.cfnBuckets > 1) {
    const middle = probe(Math.floor((fitting.cfnBuckets + failing.cfnBuckets) / 2));
    if (middle.fitsIam) fitting = middle;
    else failing = middle;
  }
  return {
    method:
      `Max keys: the most whose fixed and per-key resources and bytes fit in ${CFN.resources} resources and ` +
      `${CFN.templateBytes.toLocaleString('en-US')} bytes. Policies: resolved, in characters as IAM counts them.`,
    bytesPerKey: round(bytesPerKey, 1),
    bytesPerCfnBucket: round(bytesPerBucket, 1),
    fixedBytes: Math.round(fixedBytes),
    resourcesPerKey: round(resourcesPerKey, 2),
    fixedResources,
    maxKeysPerStackBucketsElsewhere: maxKeys(resourcesPerKey, bytesPerKey),
    maxKeysPerStackWithTheirBuckets: withBuckets - (withBuckets % KEYS_PER_BUCKET),
    iamInlinePolicyLimit: IAM.roleInlineChars,
    iamManagedPolicyLimit: IAM.managedPolicyChars,
    maxCfnBucketsWithinIamQuotas: fitting.cfnBuckets,
    maxKeysWithinIamQuotas: fitting.cfnBuckets * KEYS_PER_BUCKET,
    firstFailingProbe: failing ?? `none up to ${POLICY_SEARCH_MAX_BUCKETS} CfnBuckets`,
    byKeys,
  };
}

/**
 * The handler role's inline policies (all together) and the managed policies aws-cdk-lib split off it: aws-cdk-lib
 * estimates each unresolved ARN at 150 characters and moves whole statements that do not fit inline into managed
 * policies; a statement is never split, so one larger than a managed policy fails at deploy time.
 */
function rolePolicySizes(template: Template) {
  const resources = Object.values(template.Resources);
  const handler = resources.find((r) => r.Type === 'AWS::Lambda::Function');
  const roleId = (handler?.Properties?.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
  const ofRole = (type: string) =>
    resources
      .filter((r) => r.Type === type && JSON.stringify(r.Properties?.Roles ?? []).includes(`"${roleId}"`))
      .map((r) => r.Properties?.PolicyDocument);
  const ownInline = (template.Resources[roleId].Properties?.Policies ?? []) as Array<{ PolicyDocument: unknown }>;
  const size = characterCounter(template);
  const inlinePolicyChars = [...ownInline.map((p) => p.PolicyDocument), ...ofRole('AWS::IAM::Policy')]
    .map(size)
    .reduce((a, b) => a + b, 0);
  const managedPolicyChars = ofRole('AWS::IAM::ManagedPolicy').map(size);
  const fitsIam =
    inlinePolicyChars <= IAM.roleInlineChars &&
    managedPolicyChars.every((c) => c <= IAM.managedPolicyChars) &&
    managedPolicyChars.length <= IAM.managedPoliciesPerRole;
  return { inlinePolicyChars, managedPolicyChars, fitsIam };
}

/**
 * Resolves intrinsics as a deployment would: a bucket ARN is `arn:aws:lightsail:us-east-1:123456789012:Bucket/` and
 * a 36-character id; other ARNs name the stack, the logical id and a 12-character suffix, as generated names do.
 */
function characterCounter(template: Template): (document: unknown) => number {
  const [account, region, stackName] = ['123456789012', 'us-east-1', 'BenchStack'];
  const deployed = new Map(
    Object.entries(template.Resources).map(([id, { Type: type }]) => {
      const physicalId = `${stackName}-${id}-${randomUUID().replace(/-/g, '').slice(0, 12)}`;
      const [, service = 'unknown', kind = 'resource'] = type.toLowerCase().split('::');
      const attributes: Record<string, string> = isBucket(type)
        ? { BucketArn: `arn:aws:lightsail:${region}:${account}:Bucket/${randomUUID()}` }
        : type === 'AWS::Logs::LogGroup'
          ? { Arn: `arn:aws:logs:${region}:${account}:log-group:${physicalId}:*` }
          : { Arn: `arn:aws:${service}:${region}:${account}:${kind}/${physicalId}` };
      return [id, { physicalId, attributes }];
    }),
  );
  const stackId = `arn:aws:cloudformation:${region}:${account}:stack/${stackName}/${randomUUID()}`;
  const stack = { stackName, stackId, region, accountId: account };
  return (document) => JSON.stringify(resolveValue(document, deployed, stack, template)).replace(/\s/g, '').length;
}
