/**
 * Acknowledgements of compliance rules (cdk-nag's AwsSolutions and NIST 800-53 R5 packs) that this library's own
 * resources trigger by design, each with its reason. They use aws-cdk-lib's `Validations` API, so the library does
 * not depend on cdk-nag; a test runs both packs and fails on any finding left on our constructs.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** A rule's id as cdk-nag reports it (a wildcard resource's id is made by `wildcardResource`), and why it does not apply. */
export interface Acknowledgement {
  readonly rule: string;
  readonly reason: string;
}

/** What the stack's shared handlers trigger (lib/provider.ts), besides their wildcard resources. */
export const HANDLERS: readonly Acknowledgement[] = [
  {
    rule: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
    reason:
      'lightsail:GetBucketAccessKeys, lightsail:GetBuckets, lightsail:GetOperation and (for the rotation handler) secretsmanager:ListSecrets have no resource type in IAM and take only "*"; all only read, and ListSecrets lists names and tags, never values.',
  },
  {
    rule: 'NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy',
    reason:
      "Each policy belongs to one handler's role alone. Inline it may hold 10,240 characters, which one bucket ARN per bucket needs at scale; a managed policy holds 6,144.",
  },
  {
    rule: 'NIST.800.53.R5::NIST.800.53.R5-LambdaConcurrency',
    reason:
      "Invoked only by CloudFormation and Secrets Manager, once per key event. Reserved concurrency would take from the account's unreserved pool and could throttle a deploy of many keys.",
  },
  {
    rule: 'NIST.800.53.R5::NIST.800.53.R5-LambdaDLQ',
    reason:
      'Every custom resource event is answered to CloudFormation, failures included, and a failed rotation step is retried by Secrets Manager. A dead-letter queue would hold nothing to redrive.',
  },
  {
    rule: 'NIST.800.53.R5::NIST.800.53.R5-LambdaInsideVPC',
    reason:
      'The functions call only the Lightsail and Secrets Manager APIs and reach no resource in a VPC; in a VPC they would need NAT or interface endpoints.',
  },
  {
    rule: 'NIST.800.53.R5::NIST.800.53.R5-CloudWatchLogGroupEncrypted',
    reason:
      'The handlers log request types, ids, outcomes and timings: never a secret (tests search their logs for every secret generated). CloudWatch Logs encrypts log data at rest.',
  },
];

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

/** What a key without rotation triggers. */
export const KEY_WITHOUT_ROTATION: readonly Acknowledgement[] = [
  'AwsSolutions::AwsSolutions-SMG4',
  'NIST.800.53.R5::NIST.800.53.R5-SecretsManagerRotationEnabled',
].map((rule) => ({
  rule,
  reason: 'Rotation is off for this key (its `rotation` prop): it is replaced by bumping `serial`.',
}));

export function acknowledge(scope: IConstruct, acknowledgements: readonly Acknowledgement[]): void {
  for (const { rule, reason } of acknowledgements) Validations.of(scope).acknowledge({ id: rule, reason });
}

/** The AwsSolutions-IAM5 finding for one wildcard resource, as cdk-nag names it, with its reason. */
export function wildcardResource(scope: IConstruct, arn: string, reason: string): Acknowledgement {
  return { rule: `AwsSolutions::AwsSolutions-IAM5[Resource::${renderForRules(Stack.of(scope).resolve(arn))}]`, reason };
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
