/**
 * What limits a stack of keys, from the synthesized templates: CloudFormation's quotas on resources and template
 * bytes, and IAM's on the handler role's policies, which grow by one bucket ARN per CfnBucket (up to 40). Then the
 * same for rotating keys with a grace period, which add the rotation handler, its hourly EventBridge rule, and a
 * rotation schedule per key.
 */
import { randomUUID } from 'node:crypto';
import { RESOURCE_TYPE } from '../lib/contract';
import { type Template, resolveValue } from '../test/lifecycle/template';
import { KEYS_PER_BUCKET, KEY_COUNTS, STACK_NAME, synthesizeOnce, templateBytes } from './synth-scale';
import { round } from './stats';

/** CloudFormation: resources per stack, and the template body (S3-hosted, as `cdk deploy` uploads it). */
const CFN = { resources: 500, templateBytes: 1_048_576 };
/** IAM: all inline policies of one role together; one customer managed policy; managed policies per role. */
const IAM = { roleInlineChars: 10_240, managedPolicyChars: 6_144, managedPoliciesPerRole: 10 };
/** EventBridge: characters of one target's input; targets per rule. */
const EVENTBRIDGE = { inputChars: 8_192, targetsPerRule: 5 };
/** Beyond this many CfnBuckets a stack is over 500 resources anyway. */
const POLICY_SEARCH_MAX_BUCKETS = 250;
/** CloudFormation's longest stack name: the grace-period rule's input holds the stack's name. */
const LONGEST_STACK_NAME = 'S'.repeat(128);

const isBucket = (type: string) => type === 'AWS::Lightsail::Bucket';
const isKeyPart = (type: string) => type === 'AWS::SecretsManager::Secret' || type === RESOURCE_TYPE;
const isRotatingKeyPart = (type: string) => isKeyPart(type) || type === 'AWS::SecretsManager::RotationSchedule';
const any = () => true;
const count = (t: Template, predicate: (type: string) => boolean) =>
  Object.values(t.Resources).filter((r) => predicate(r.Type)).length;
const withoutBuckets = (t: Template): Template => ({
  ...t,
  Resources: Object.fromEntries(Object.entries(t.Resources).filter(([, r]) => !isBucket(r.Type))),
});
/** The most keys whose fixed and per-key resources and bytes fit in CloudFormation's quotas. */
const mostKeys = (fixed: { resources: number; bytes: number }, perKey: { resources: number; bytes: number }) =>
  Math.min(
    Math.floor((CFN.resources - fixed.resources) / perKey.resources),
    Math.floor((CFN.templateBytes - fixed.bytes) / perKey.bytes),
  );

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
  const fixed = { resources: fixedResources, bytes: fixedBytes };
  const withBuckets = mostKeys(fixed, {
    resources: resourcesPerKey + 1 / KEYS_PER_BUCKET,
    bytes: bytesPerKey + bytesPerBucket / KEYS_PER_BUCKET,
  });
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
  const rotating = measureRotatingStacks(bytesPerBucket);
  return {
    method:
      `Max keys: the most whose fixed and per-key resources and bytes fit in ${CFN.resources} resources and ` +
      `${CFN.templateBytes.toLocaleString('en-US')} bytes. Policies: resolved, in characters as IAM counts them. ` +
      'Rotating keys: each rotates monthly with a grace period, on a bucket of its own given by name (a rotating ' +
      'key takes both of its bucket slots); with their buckets, each adds a CfnBucket. The most rotating keys are ' +
      "synthesized with aws-cdk-lib's resource-count check on, and one more key. Event input: the grace-period " +
      "rule's target input, resolved, in characters.",
    bytesPerKey: round(bytesPerKey, 1),
    bytesPerCfnBucket: round(bytesPerBucket, 1),
    fixedBytes: Math.round(fixedBytes),
    resourcesPerKey: round(resourcesPerKey, 2),
    fixedResources,
    maxKeysPerStackBucketsElsewhere: mostKeys(fixed, { resources: resourcesPerKey, bytes: bytesPerKey }),
    maxKeysPerStackWithTheirBuckets: withBuckets - (withBuckets % KEYS_PER_BUCKET),
    iamInlinePolicyLimit: IAM.roleInlineChars,
    iamManagedPolicyLimit: IAM.managedPolicyChars,
    maxCfnBucketsWithinIamQuotas: fitting.cfnBuckets,
    maxKeysWithinIamQuotas: fitting.cfnBuckets * KEYS_PER_BUCKET,
    firstFailingProbe: failing ?? `none up to ${POLICY_SEARCH_MAX_BUCKETS} CfnBuckets`,
    byKeys,
    ...rotating,
  };
}

/**
 * The largest stack of rotating keys with a grace period: per-key numbers are slopes from 10 to 100 keys, as above;
 * the most keys that fit are then synthesized, to check the EventBridge and IAM limits there, and one key more.
 */
function measureRotatingStacks(bytesPerBucket: number) {
  const synthesize = (keys: number) => synthesizeOnce('rotating', keys, 1, true).template;
  const [small, large] = [synthesize(10), synthesize(100)];
  const perKey = {
    resources: (count(large, any) - count(small, any)) / (100 - 10),
    bytes: (templateBytes(large) - templateBytes(small)) / (100 - 10),
  };
  const fixed = {
    resources: count(large, (type) => !isRotatingKeyPart(type)),
    bytes: templateBytes(large) - perKey.bytes * 100,
  };
  const most = mostKeys(fixed, perKey);
  const byResources = Math.floor((CFN.resources - fixed.resources) / perKey.resources) === most;
  const byKeys = (
    [
      [1, synthesize(1)],
      [10, small],
      [100, large],
      [most, synthesize(most)],
    ] as const
  ).map(([keys, template]) => ({ rotatingKeys: keys, ...rotatingStackSizes(template) }));
  let oneMore = 'synthesized without an error';
  try {
    synthesize(most + 1);
  } catch (error) {
    oneMore = `refused at synth: ${(error as Error).message.replace(/(allowed maximum of \d+):[^]*/, '$1')}`;
  }
  const withBuckets = { resources: perKey.resources + 1, bytes: perKey.bytes + bytesPerBucket };
  return {
    rotatingBytesPerKey: round(perKey.bytes, 1),
    rotatingFixedBytes: Math.round(fixed.bytes),
    rotatingResourcesPerKey: round(perKey.resources, 2),
    rotatingFixedResources: fixed.resources,
    maxRotatingKeysPerStack: most,
    maxRotatingKeysWithTheirBuckets: mostKeys(fixed, withBuckets),
    rotatingBindingLimit:
      (byResources
        ? `CloudFormation's ${CFN.resources} resources per stack`
        : `CloudFormation's ${CFN.templateBytes.toLocaleString('en-US')} template bytes`) +
      `; ${most + 1} rotating keys: ${oneMore}`,
    eventBridgeInputLimit: EVENTBRIDGE.inputChars,
    eventBridgeTargetsPerRuleLimit: EVENTBRIDGE.targetsPerRule,
    eventInputCharsWithTheLongestStackName: byKeys[byKeys.length - 1].eventInputLongestName,
    rotatingByKeys: byKeys.map(({ eventInputLongestName: _, ...row }) => row),
  };
}

/** A stack of rotating keys: its size, its grace-period rules and their targets' input, and its roles' policies. */
function rotatingStackSizes(template: Template) {
  const rules = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Events::Rule');
  const targets = rules.flatMap((r) => (r.Properties?.Targets ?? []) as Array<{ Input?: unknown }>);
  const inputChars = (stackName: string) =>
    Math.max(0, ...targets.map((t) => String(resolver(template, stackName)(t.Input)).length));
  const [handler, rotation] = ['Handler', 'RotationHandler'].map((name) => rolePolicySizes(template, name));
  return {
    resources: count(template, any),
    templateBytes: templateBytes(template),
    rules: rules.length,
    ruleTargets: targets.length,
    eventInputChars: inputChars(STACK_NAME),
    eventInputLongestName: inputChars(LONGEST_STACK_NAME),
    handlerInlinePolicyChars: handler.inlinePolicyChars,
    rotationInlinePolicyChars: rotation.inlinePolicyChars,
    managedPolicyChars: [...handler.managedPolicyChars, ...rotation.managedPolicyChars],
    fitsIam: handler.fitsIam && rotation.fitsIam,
  };
}

/**
 * A handler role's inline policies (all together) and the managed policies aws-cdk-lib split off it: aws-cdk-lib
 * estimates each unresolved ARN at 150 characters and moves whole statements that do not fit inline into managed
 * policies; a statement is never split, so one larger than a managed policy fails at deploy time. `handlerId`: the
 * function's construct id in the provider (`Handler`, or `RotationHandler`).
 */
function rolePolicySizes(template: Template, handlerId = 'Handler') {
  const resources = Object.values(template.Resources);
  const logicalId = new RegExp(`^LightsailBucketAccessKeyProvider${handlerId}[0-9A-F]{8}$`);
  const handler = Object.entries(template.Resources).find(
    ([id, r]) => r.Type === 'AWS::Lambda::Function' && logicalId.test(id),
  )?.[1];
  const roleId = (handler?.Properties?.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
  const ofRole = (type: string) =>
    resources
      .filter((r) => r.Type === type && JSON.stringify(r.Properties?.Roles ?? []).includes(`"${roleId}"`))
      .map((r) => r.Properties?.PolicyDocument);
  const ownInline = (template.Resources[roleId].Properties?.Policies ?? []) as Array<{ PolicyDocument: unknown }>;
  const resolve = resolver(template, STACK_NAME);
  const size = (document: unknown) => JSON.stringify(resolve(document)).replace(/\s/g, '').length;
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
 * Resolves intrinsics as a deployment of the stack as `stackName` would: a bucket ARN is
 * `arn:aws:lightsail:us-east-1:123456789012:Bucket/` and a 36-character id; other ARNs name the stack, the logical id
 * and a 12-character suffix, as generated names do.
 */
function resolver(template: Template, stackName: string): (value: unknown) => unknown {
  const [account, region] = ['123456789012', 'us-east-1'];
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
  return (value) => resolveValue(value, deployed, stack, template);
}
