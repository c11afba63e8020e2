/**
 * The BucketAccessKey custom resource handler: CloudFormation invokes it directly, it dispatches on the request
 * type, answers CloudFormation itself, and writes one structured log line per event. The event is never logged
 * as a whole (it holds the pre-signed response URL), and no response or log line holds a secret access key.
 */
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { parseKeyResourceProperties } from '../../lib/contract';
import { answerDeadline, keyCreationDeadline } from '../shared/budget';
import { failureResponse, sendResponse, successResponse, type CfnResponse } from '../shared/cfn-response';
import { describeError, logLine } from '../shared/log';
import { onDelete } from './delete';
import { onCreate } from './reconcile';
import type { Invocation, LifecycleResult } from './result';
import { onUpdate } from './update';

export async function handler(event: CloudFormationCustomResourceEvent, context?: Context): Promise<void> {
  const started = Date.now();
  const invocation: Invocation = {
    region: process.env.AWS_REGION ?? '',
    stackId: event.StackId,
    logicalId: event.LogicalResourceId,
    deadline: keyCreationDeadline(context, started),
  };
  let result: LifecycleResult | undefined;
  let response: CfnResponse;
  let failure: string | undefined;
  try {
    result = await withDeadline(dispatch(event, invocation), answerDeadline(context, started));
    response = successResponse(event, result.physicalResourceId, { ...result.data });
  } catch (error) {
    failure = describeError(error);
    response = failureResponse(event, physicalIdOnFailure(event), failure);
  }

  const props = parseKeyResourceProperties(event.ResourceProperties, 'lenient');
  logLine(failure ? 'ERROR' : 'INFO', {
    requestType: event.RequestType,
    logicalResourceId: event.LogicalResourceId,
    requestId: event.RequestId,
    bucketName: props.BucketName || undefined,
    secretArn: result?.physicalResourceId ?? (props.SecretArn || undefined),
    accessKeyId: result?.accessKeyId,
    deletedKeyIds: result?.deletedKeyIds,
    outcome: failure ? 'failed' : result?.outcome,
    error: failure,
    notes: result?.notes,
    durationMs: Date.now() - started,
  });

  try {
    await sendResponse(event.ResponseURL, response);
  } catch (error) {
    // Failing the invocation makes Lambda retry it; the handler is idempotent, so the retry answers again.
    logLine('ERROR', { requestId: event.RequestId, error: `Could not answer CloudFormation: ${describeError(error)}` });
    throw error;
  }
}

/** The properties a request applies are read strictly; those a resource leaves behind, leniently (contract.ts). */
function dispatch(event: CloudFormationCustomResourceEvent, invocation: Invocation): Promise<LifecycleResult> {
  switch (event.RequestType) {
    case 'Create':
      return onCreate(parseKeyResourceProperties(event.ResourceProperties, 'strict'), invocation);
    case 'Update':
      return onUpdate(
        event.PhysicalResourceId,
        parseKeyResourceProperties(event.ResourceProperties, 'strict'),
        parseKeyResourceProperties(event.OldResourceProperties, 'lenient'),
        invocation,
      );
    case 'Delete':
      return onDelete(
        event.PhysicalResourceId,
        parseKeyResourceProperties(event.ResourceProperties, 'lenient'),
        invocation,
      );
  }
}

/**
 * The physical id to report with a failure. A failed Update keeps the current id (CloudFormation rolls back to
 * it); a failed Create reports the lineage's secret ARN, so the Delete that follows cleans up by it, or a
 * placeholder id when the properties had none.
 */
function physicalIdOnFailure(event: CloudFormationCustomResourceEvent): string {
  if (event.RequestType !== 'Create') return event.PhysicalResourceId;
  const secretArn = parseKeyResourceProperties(event.ResourceProperties, 'lenient').SecretArn;
  return secretArn !== '' ? secretArn : `failed-${event.RequestId}`;
}

/** Rejects at the answer deadline (budget.ts), so CloudFormation still gets an answer when the work runs late. */
function withDeadline<T>(work: Promise<T>, deadline: number): Promise<T> {
  if (deadline === Number.POSITIVE_INFINITY) return work;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error('The handler ran out of time; see its log. Deploying again retries safely.')),
      Math.max(deadline - Date.now(), 1_000),
    );
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
