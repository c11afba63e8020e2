/**
 * Acknowledgements of compliance rules (cdk-nag's AwsSolutions and NIST 800-53 R5 packs) that this library's own
 * resources trigger by design, each with its reason. One table, written in both forms cdk-nag reads, so the library
 * depends on neither version of cdk-nag:
 *
 * - cdk-nag 3 (a policy validation plugin) reads aws-cdk-lib `Validations` acknowledgements, made on our construct
 *   and applying to every resource under it;
 * - cdk-nag 2 (an aspect) reads suppressions from the `cdk_nag` metadata of the CloudFormation resource it checks
 *   (`{ rules_to_suppress: [{ id, reason, applies_to? }] }`, as its `NagSuppressions.addResourceSuppressions`
 *   writes them: cdk-nag 2.37 `src/utils/nag-suppression-helper.ts`, `getSuppressions`), so each suppression is
 *   written onto the resources of the type its rule reports on.
 *
 * A test runs both versions of both packs and fails on any finding left on our constructs.
 */
import { Buffer } from 'node:buffer';
import { CfnResource, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * A rule's id as cdk-nag 3 reports it (`<pack>::<rule>`, with `[<finding>]` for a granular rule such as IAM5; a
 * wildcard resource's id is made by `wildcardResource`), why it does not apply, and the CloudFormation resource
 * type the rule reports on (where cdk-nag 2 looks for the suppression).
 */
export interface Acknowledgement {
  readonly rule: string;
  readonly reason: string;
  readonly on: string;
}

const POLICY = 'AWS::IAM::Policy';
const FUNCTION = 'AWS::Lambda::Function';
const LOG_GROUP = 'AWS::Logs::LogGroup';
const SECRET = 'AWS::SecretsManager::Secret';

/**
 * What the stack's shared handlers trigger wherever they run, besides their wildcard resources (lib/handler-policy.ts).
 */
const HANDLERS: readonly Acknowledgement[] = [
  {
    rule: 'NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy',
    reason:
      "Each policy belongs to one handler's role alone. Inline it may hold 10,240 characters, which one bucket ARN per bucket needs at scale; a managed policy holds 6,144.",
    on: POLICY,
  },
  {
    rule: 'NIST.800.53.R5::NIST.800.53.R5-LambdaConcurrency',
    reason:
      "Invoked only by CloudFormation and Secrets Manager, once per key event. Reserved concurrency would take from the account's unreserved pool and could throttle a deploy of many keys.",
    on: FUNCTION,
  },
  {
    rule: 'NIST.800.53.R5::NIST.800.53.R5-LambdaDLQ',
    reason:
      'Every custom resource event is answered to CloudFormation, failures included, and a failed rotation step is retried by Secrets Manager. A dead-letter queue would hold nothing to redrive.',
    on: FUNCTION,
  },
  {
    rule: 'NIST.800.53.R5::NIST.800.53.R5-CloudWatchLogGroupEncrypted',
    reason:
      'The handlers log request types, ids, outcomes and timings: never a secret (tests search their logs for every secret generated). CloudWatch Logs encrypts log data at rest.',
    on: LOG_GROUP,
  },
];

const READ_ONLY_LIGHTSAIL =
  'lightsail:GetBucketAccessKeys, lightsail:GetBuckets, lightsail:GetOperation and (for the rotation handler) secretsmanager:ListSecrets have no resource type in IAM and take only "*"; all only read, and ListSecrets lists names and tags, never values.';

/**
 * What the stack's shared handlers trigger, outside a VPC or in one. In a VPC, the network interface actions that
 * Lambda needs take "*" too, and the functions are in a VPC (NIST LambdaInsideVPC holds, so it is not acknowledged).
 */
export function handlerAcknowledgements(inVpc: boolean): Acknowledgement[] {
  const readOnlyWildcard: Acknowledgement = {
    rule: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
    reason: inVpc
      ? `${READ_ONLY_LIGHTSAIL} In a VPC, so do the network interface actions that Lambda needs (AWSLambdaVPCAccessExecutionRole's, as an inline statement of our own): ec2:DescribeNetworkInterfaces works only on "*" (Lambda developer guide, VPC permissions).`
      : READ_ONLY_LIGHTSAIL,
    on: POLICY,
  };
  const outsideVpc: Acknowledgement = {
    rule: 'NIST.800.53.R5::NIST.800.53.R5-LambdaInsideVPC',
    reason:
      'The functions call only AWS APIs (Lightsail, Secrets Manager) and reach no resource in a VPC; give the keys a `vpc` to run them in one.',
    on: FUNCTION,
  };
  return [readOnlyWildcard, ...HANDLERS, ...(inVpc ? [] : [outsideVpc])];
}

/** Why the handlers' wildcard resources are as wide as they are, by resource. */
export const WILDCARD_REASONS = {
  keySecrets:
    "Scoped to this stack's BucketAccessKey secrets by name prefix: listing each secret would grow the policy with every key, past IAM's size limit for large stacks.",
  bucketByName:
    'A bucket given by name only: Lightsail bucket ARNs hold an id, not the name, so no ARN can name it. Pass the CfnBucket as `bucket` to scope this to its ARN.',
  kmsKeys:
    "Any KMS key, but only through Secrets Manager and only for this stack's key secrets (the kms:EncryptionContext:SecretARN condition): versions written under an earlier encryptionKey stay readable, at a fixed policy size.",
  manyBuckets: (named: number) =>
    `Keys of more than ${named} buckets: one ARN per bucket would exceed IAM's policy size quota (about 85 characters each; 6,144 for a managed policy, where aws-cdk-lib moves a statement that does not fit inline). A synth warning says so.`,
};

/** What a key without rotation triggers, on its secret. */
export const KEY_WITHOUT_ROTATION: readonly Acknowledgement[] = [
  'AwsSolutions::AwsSolutions-SMG4',
  'NIST.800.53.R5::NIST.800.53.R5-SecretsManagerRotationEnabled',
].map((rule) => ({
  rule,
  reason: 'Rotation is off for this key (its `rotation` prop): it is replaced by bumping `serial`.',
  on: SECRET,
}));

/**
 * Acknowledges the rules on `scope`, for cdk-nag 3 (on the construct) and cdk-nag 2 (on each resource of the rule's
 * type under it, as far as they exist now: call `suppressForCdkNag2` again after adding resources to the scope).
 */
export function acknowledge(scope: IConstruct, acknowledgements: readonly Acknowledgement[]): void {
  for (const { rule, reason } of acknowledgements) Validations.of(scope).acknowledge({ id: rule, reason });
  suppressForCdkNag2(scope, acknowledgements);
}

/** A suppression as cdk-nag 2 stores it in a resource's `cdk_nag` metadata. */
export interface CdkNag2Suppression {
  readonly id: string;
  readonly reason: string;
  readonly applies_to?: string[];
  readonly is_reason_encoded?: boolean;
}

/**
 * cdk-nag 2's form of an acknowledgement: the rule's id without its pack, a granular rule's finding in `applies_to`
 * (cdk-nag 2 refuses an id with a finding in it), and a reason with characters beyond Latin-1 base64-encoded, with
 * `is_reason_encoded`, as cdk-nag 2 encodes and decodes them.
 */
export function cdkNag2Suppression({ rule, reason }: Acknowledgement): CdkNag2Suppression {
  const match = /^[^:]+::([^[]+)(?:\[(.*)\])?$/.exec(rule);
  if (!match) throw new Error(`"${rule}" is not a cdk-nag rule id of the form <pack>::<rule>[<finding>]`);
  const [, id, finding] = match;
  const latin1 = [...reason].every((c) => c.codePointAt(0)! <= 0xff);
  return {
    id,
    reason: latin1 ? reason : Buffer.from(reason).toString('base64'),
    ...(finding !== undefined && { applies_to: [finding] }),
    ...(!latin1 && { is_reason_encoded: true }),
  };
}

/**
 * Writes the acknowledgements as cdk-nag 2 suppressions into the `cdk_nag` metadata of every resource under `scope`
 * of the type each rule reports on, keeping suppressions already there (a user's own `NagSuppressions`). Writing
 * one twice changes nothing.
 */
export function suppressForCdkNag2(scope: IConstruct, acknowledgements: readonly Acknowledgement[]): void {
  for (const construct of scope.node.findAll()) {
    if (!CfnResource.isCfnResource(construct)) continue;
    const ours = acknowledgements.filter((a) => a.on === construct.cfnResourceType).map(cdkNag2Suppression);
    if (ours.length === 0) continue;
    const metadata = construct.getMetadata('cdk_nag') ?? {};
    const existing: unknown[] = metadata.rules_to_suppress ?? [];
    const known = new Set(existing.map((s) => JSON.stringify(s)));
    const added = ours.filter((s) => !known.has(JSON.stringify(s)));
    if (added.length > 0) construct.addMetadata('cdk_nag', { ...metadata, rules_to_suppress: [...existing, ...added] });
  }
}

/** The AwsSolutions-IAM5 finding for one wildcard resource, as cdk-nag names it, with its reason. */
export function wildcardResource(scope: IConstruct, arn: string, reason: string): Acknowledgement {
  return {
    rule: `AwsSolutions::AwsSolutions-IAM5[Resource::${renderForRules(Stack.of(scope).resolve(arn))}]`,
    reason,
    on: POLICY,
  };
}

/** cdk-nag shows intrinsic functions in findings as `<LogicalId>` and `<LogicalId.Attribute>`. */
function renderForRules(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as { Ref?: string; 'Fn::GetAtt'?: string[]; 'Fn::Join'?: [string, unknown[]] };
  if (v.Ref) return `<${v.Ref}>`;
  if (v['Fn::GetAtt']) return `<${v['Fn::GetAtt'].join('.')}>`;
  if (v['Fn::Join']) return v['Fn::Join'][1].map(renderForRules).join(v['Fn::Join'][0]);
  return JSON.stringify(value);
}
