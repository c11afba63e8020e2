/**
 * The rotation handler of BucketAccessKey secrets. Secrets Manager invokes it with one step of a rotation; an
 * EventBridge schedule invokes it to end grace periods. One structured log line per event, never a secret.
 */
import type { Context } from 'aws-lambda';
import { GRACE_PERIODS_FIELD, type GracePeriodEvent, ROTATION_STEPS, type RotationStep } from '../../lib/contract';
import { keyCreationDeadline } from '../shared/budget';
import { describeError, logLine } from '../shared/log';
import { expireGracePeriods } from './grace-periods';
import { type StepResult, runStep } from './steps';

/** What Secrets Manager sends for each step of a rotation. */
export interface RotationEvent {
  readonly SecretId: string;
  readonly ClientRequestToken: string;
  readonly Step: RotationStep;
}

export async function handler(event: RotationEvent | GracePeriodEvent, context?: Context): Promise<void> {
  const invocation = { region: process.env.AWS_REGION ?? '', deadline: keyCreationDeadline(context) };
  if (GRACE_PERIODS_FIELD in event) {
    const { secretNamePrefix } = event.expireGracePeriods;
    const failed = await expireGracePeriods(secretNamePrefix, invocation, (secretArn, work) =>
      logged({ secretArn, step: 'expireGracePeriod' }, work),
    );
    if (failed) throw new Error(`${failed} grace periods could not be checked; see the log.`);
    return;
  }
  if (!ROTATION_STEPS.includes(event.Step)) throw new Error(`Unknown rotation step "${String(event.Step)}".`);
  await logged({ secretArn: event.SecretId, step: event.Step, token: event.ClientRequestToken }, () =>
    runStep(event.Step, event.SecretId, event.ClientRequestToken, invocation),
  );
}

async function logged(fields: Record<string, string>, work: () => Promise<StepResult>): Promise<StepResult> {
  const started = Date.now();
  try {
    const result = await work();
    logLine('INFO', { ...fields, ...result, durationMs: Date.now() - started });
    return result;
  } catch (error) {
    const reason = describeError(error);
    logLine('ERROR', { ...fields, outcome: 'failed', error: reason, durationMs: Date.now() - started });
    // The Lambda runtime logs what escapes the handler as is: only the redacted text escapes.
    throw new Error(reason);
  }
}
