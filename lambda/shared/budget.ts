/**
 * When an invocation must stop doing what, from the time Lambda says it has left (contract.ts, TIME_BUDGET holds the
 * figures and the arithmetic). Without a Lambda context (a unit test), there is no limit.
 */
import { TIME_BUDGET } from '../../lib/contract';

type LambdaContext = { getRemainingTimeInMillis?: () => number } | undefined;

/** Epoch milliseconds after which no key creation starts, and no wait for a Lightsail operation goes on. */
export function keyCreationDeadline(context: LambdaContext, now = Date.now()): number {
  return deadline(context, now, TIME_BUDGET.keyCreationReserveSeconds);
}

/** Epoch milliseconds by which the custom resource handler answers CloudFormation, however far its work got. */
export function answerDeadline(context: LambdaContext, now = Date.now()): number {
  return deadline(context, now, TIME_BUDGET.answerReserveSeconds);
}

function deadline(context: LambdaContext, now: number, reserveSeconds: number): number {
  const remaining = context?.getRemainingTimeInMillis?.();
  return remaining === undefined ? Number.POSITIVE_INFINITY : now + remaining - reserveSeconds * 1000;
}
