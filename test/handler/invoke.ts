/**
 * What the BucketAccessKey handler's tests share: the AWS SDK clients replaced by aws-sdk-client-mock, a local
 * stand-in for CloudFormation's pre-signed response URL, the console captured, and `invoke`, which runs the handler
 * on one event and returns its answer and its log line. A test file calls `mockAwsAndCheckForLeaks()` once; after
 * each of its tests, no secret access key the test generated may appear in a response or a log line.
 */
import {
  CreateBucketAccessKeyCommand,
  DeleteBucketAccessKeyCommand,
  GetBucketAccessKeysCommand,
  LightsailClient,
} from '@aws-sdk/client-lightsail';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  InvalidRequestException,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../lambda/bucket-access-key';
import { type CapturedResponse, ConsoleCapture, ResponseEndpoint, expectNoSecretIn } from '../support/capture';
import {
  type DeliveredProperties,
  SECRET_ARN_V0,
  createEvent,
  deleteEvent,
  generateKey,
  keyProperties,
  updateEvent,
} from './events';

export const lightsail = mockClient(LightsailClient);
export const secrets = mockClient(SecretsManagerClient);
/** An error answer of the service, as the SDK reports it (a 4xx: the service refused the call). */
export const meta = { $metadata: { httpStatusCode: 400 } };
/** Every secret access key the mocked Lightsail handed out in the current test. */
export const generated: string[] = [];

let endpoint: ResponseEndpoint | undefined;
let output: ConsoleCapture;

/**
 * Registers the hooks every test of the handler runs in: fresh mocks (by default Lightsail creates a new key and
 * deletes any, Secrets Manager accepts every write and the secret has no labels), no answers and no log lines yet;
 * and afterwards, whatever the test did, no secret it generated in a response or a log line.
 */
export function mockAwsAndCheckForLeaks(): void {
  beforeAll(async () => {
    process.env.AWS_REGION = 'eu-west-1';
    endpoint = await ResponseEndpoint.start();
  });
  afterAll(() => endpoint?.close());

  beforeEach(() => {
    lightsail.reset();
    secrets.reset();
    responseEndpoint().responses.length = 0;
    responseEndpoint().failNext = 0;
    generated.length = 0;
    output = new ConsoleCapture().start();
    lightsail.on(CreateBucketAccessKeyCommand).callsFake(() => {
      const key = newKey();
      return { accessKey: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey, status: 'Active' } };
    });
    secrets.on(PutSecretValueCommand).resolves({});
    secrets.on(DescribeSecretCommand).resolves({ VersionIdsToStages: {} });
    lightsail.on(DeleteBucketAccessKeyCommand).resolves({});
    secrets.on(UpdateSecretVersionStageCommand).resolves({});
  });
  afterEach(() => {
    output.stop();
    if (generated.length) expectNoSecretIn([...answers().map((r) => r.raw), ...output.lines], generated);
  });
}

function responseEndpoint(): ResponseEndpoint {
  if (!endpoint) throw new Error('Call mockAwsAndCheckForLeaks() at the top of the test file.');
  return endpoint;
}

/** What the handler did with one event. */
export interface Invoked {
  /** Its answer to CloudFormation. */
  readonly answer: CapturedResponse;
  /** Its structured log line: the last line it wrote. */
  readonly log: Record<string, unknown>;
  /** Every line it wrote, as written. */
  readonly lines: readonly string[];
}

/** Runs the handler on one event, as Lambda would, and returns the one answer and the log lines it sent. */
export async function invoke(event: CloudFormationCustomResourceEvent, context?: Context): Promise<Invoked> {
  const answeredBefore = answers().length;
  const loggedBefore = output.lines.length;
  await handler(event, context);
  const sent = answers().slice(answeredBefore);
  const lines = output.lines.slice(loggedBefore);
  if (sent.length !== 1) throw new Error(`The handler answered ${sent.length} times to one ${event.RequestType}.`);
  if (lines.length === 0) throw new Error(`The handler logged nothing for a ${event.RequestType}.`);
  return { answer: sent[0], log: JSON.parse(lines[lines.length - 1]), lines };
}

/** Every answer the handler sent in the current test, in order. */
export function answers(): CapturedResponse[] {
  return responseEndpoint().responses;
}

/** Every log line the handler wrote in the current test, parsed. */
export function logs(): Array<Record<string, unknown>> {
  return output.json();
}

/** The response URL answers the next `times` answers with HTTP 500. */
export function givenTheResponseUrlRefuses(times: number): void {
  responseEndpoint().failNext = times;
}

/** The requests CloudFormation sends, with the local response URL. */
export const createRequest = (props = keyProperties()) => createEvent(responseEndpoint().url(), props);
export const updateRequest = (physicalResourceId: string, props: DeliveredProperties, oldProps: DeliveredProperties) =>
  updateEvent(responseEndpoint().url(), physicalResourceId, props, oldProps);
export const deleteRequest = (physicalResourceId: string, props = keyProperties()) =>
  deleteEvent(responseEndpoint().url(), physicalResourceId, props);

/** A new key, as a test's own: its secret joins `generated`, which the leak check searches for. */
export const newKey = () => generateKey(generated);

/** A key record as the handler writes it into the secret. */
export function record(key: { accessKeyId: string; secretAccessKey: string }, bucketName = 'media-assets') {
  return JSON.stringify({ ...key, bucketName, region: 'eu-west-1', endpoint: 'https://x/' });
}

/** What a new lineage's secret holds until its first key is recorded. */
export const PLACEHOLDER = '{"status":"awaiting-access-key","placeholder":"Xy12Ab34Cd56Ef78"}';

/** Secrets Manager's refusal for a secret scheduled for deletion. */
export function markedForDeletion() {
  return new InvalidRequestException({
    message: "You can't perform this operation on the secret because it was marked for deletion.",
    ...meta,
  });
}

/** The secret's current value (AWSCURRENT): what Create and Update read first. */
export function givenSecretHolds(secretString: string, secretArn = SECRET_ARN_V0) {
  secrets.on(GetSecretValueCommand, { SecretId: secretArn, VersionStage: 'AWSCURRENT' }).resolves({
    SecretString: secretString,
    VersionId: 'v-current',
    VersionStages: ['AWSCURRENT'],
  });
}

/** The bucket's keys, oldest first; the first one was used, the others never. */
export function givenBucketKeys(...ids: string[]) {
  lightsail.on(GetBucketAccessKeysCommand).resolves({
    accessKeys: ids.map((accessKeyId, i) => ({
      accessKeyId,
      status: 'Active',
      createdAt: new Date(Date.UTC(2026, 0, 1 + i)),
      lastUsed:
        i === 0 ? { lastUsedDate: new Date(Date.UTC(2026, 5, 1)), region: 'eu-west-1', serviceName: 's3' } : undefined,
    })),
  });
}

/**
 * Every version of the secret SECRET_ARN_V0, the first one current: what a Delete reads to find the keys it
 * recorded. A version without a value holds no key.
 */
export function givenVersions(...values: Array<string | undefined>) {
  secrets.on(ListSecretVersionIdsCommand).resolves({
    Versions: values.map((_, i) => ({ VersionId: `v${i}`, VersionStages: i === 0 ? ['AWSCURRENT'] : [] })),
  });
  values.forEach((value, i) =>
    secrets
      .on(GetSecretValueCommand, { SecretId: SECRET_ARN_V0, VersionId: `v${i}` })
      .resolves({ SecretString: value }),
  );
}

/** A lineage whose secret has one version, current, that records `key`: read as current and as every version. */
export function givenLineage(secretArn: string, key: { accessKeyId: string; secretAccessKey: string }) {
  secrets.on(GetSecretValueCommand, { SecretId: secretArn, VersionStage: 'AWSCURRENT' }).resolves({
    SecretString: record(key),
    VersionId: `${secretArn}-v`,
  });
  secrets
    .on(ListSecretVersionIdsCommand, { SecretId: secretArn })
    .resolves({ Versions: [{ VersionId: `${secretArn}-v` }] });
  secrets
    .on(GetSecretValueCommand, { SecretId: secretArn, VersionId: `${secretArn}-v` })
    .resolves({ SecretString: record(key) });
}
