/**
 * Acknowledgements of compliance rules (cdk-nag's AwsSolutions and NIST 800-53 R5 packs) that this library's own
 * resources trigger by design, each with its reason. They use aws-cdk-lib's `Validations` API, so the library does
 * not depend on cdk-nag; a test runs both packs and fails on any finding left on our constructs.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/** The id of the AwsSolutions-IAM5 finding for one wildcard resource, as cdk-nag names it. */
export function wildcardResourceRule(scope: IConstruct, arn: string): string {
  return `AwsSolutions::AwsSolutions-IAM5[Resource::${renderForRules(Stack.of(scope).resolve(arn))}]`;
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
