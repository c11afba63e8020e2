/**
 * Answers CloudFormation for a custom resource event: a PUT of a small JSON document to the event's pre-signed
 * ResponseURL. The handler is invoked by CloudFormation directly (no Provider framework in between), so it must
 * always answer, or the stack waits until the resource's service timeout.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { redact } from './redact';
import { withRetries } from './retry';

/** CloudFormation shows at most about 4 KB of reason; keep well under it. */
const MAX_REASON_LENGTH = 2000;
const SEND_ATTEMPTS = 4;

export interface CfnResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason?: string;
  readonly PhysicalResourceId: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly NoEcho?: boolean;
  readonly Data?: Record<string, string>;
}

export function successResponse(
  event: CloudFormationCustomResourceEvent,
  physicalResourceId: string,
  data: Record<string, string>,
): CfnResponse {
  return { ...identity(event), Status: 'SUCCESS', PhysicalResourceId: physicalResourceId, Data: data };
}

export function failureResponse(
  event: CloudFormationCustomResourceEvent,
  physicalResourceId: string,
  reason: string,
): CfnResponse {
  const text = redact(reason);
  const clipped = text.length > MAX_REASON_LENGTH ? `${text.slice(0, MAX_REASON_LENGTH)}...` : text;
  return { ...identity(event), Status: 'FAILED', PhysicalResourceId: physicalResourceId, Reason: clipped };
}

function identity(event: CloudFormationCustomResourceEvent) {
  return { StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId };
}

/** PUTs the response, retrying network errors and 5xx answers a few times. */
export async function sendResponse(responseUrl: string, response: CfnResponse): Promise<void> {
  const body = redact(JSON.stringify(response));
  await withRetries(() => put(responseUrl, body), { attempts: SEND_ATTEMPTS, baseMs: 200, capMs: 2_000 });
}

function put(responseUrl: string, body: string): Promise<void> {
  const url = new URL(responseUrl);
  const request = url.protocol === 'http:' ? http.request : https.request;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'PUT',
        // The pre-signed URL is signed without a content type; sending one would break the signature.
        headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) },
        timeout: 10_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(new Error(`CloudFormation response URL answered HTTP ${status}`));
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('CloudFormation response URL timed out')));
    req.on('error', reject);
    req.end(body);
  });
}
