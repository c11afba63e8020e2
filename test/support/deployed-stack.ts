/** A stack as CloudFormation deploys it, for resolving template values that name it (its id and name). */
import { resolveValue } from '../lifecycle/template';

export const STACK_UUID = '6c7f2f40-0000-11ef-0000-0a1b2c3d4e5f';
export const STACK_ID = `arn:aws:cloudformation:eu-west-1:123456789012:stack/TestStack/${STACK_UUID}`;

/** A template value as CloudFormation resolves it in a stack of this id (pseudo parameters and functions only). */
export function resolveForStack(value: unknown, stackId: string): string {
  const stackName = stackId.split('/')[1];
  const stack = { stackName, stackId, region: 'eu-west-1', accountId: '123456789012' };
  return resolveValue(value, new Map(), stack, { Resources: {} }) as string;
}
