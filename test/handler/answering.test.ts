/**
 * What every request shares: one structured log line, no secret in what is logged or answered, an answer delivered
 * however the response URL behaves, and an answer before the Lambda timeout.
 */
import { CreateBucketAccessKeyCommand, GetBucketAccessKeysCommand } from '@aws-sdk/client-lightsail';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { SECRET_ARN_V0 } from './events';
import {
  PLACEHOLDER,
  answers,
  createRequest,
  deleteRequest,
  givenBucketKeys,
  givenSecretHolds,
  givenTheResponseUrlRefuses,
  invoke,
  lightsail,
  logs,
  mockAwsAndCheckForLeaks,
  secrets,
} from './invoke';

mockAwsAndCheckForLeaks();

describe('answering CloudFormation', () => {
  test('one structured log line per event, with what an operator needs and no secret', async () => {
    // Given a Create that creates a key
    givenSecretHolds(PLACEHOLDER);
    givenBucketKeys();
    const event = createRequest();

    // When it runs
    const { answer, lines, log } = await invoke(event);

    // Then one JSON line says what happened, without the response URL or a secret
    expect(lines).toHaveLength(1);
    expect(log).toEqual({
      level: 'INFO',
      requestType: 'Create',
      logicalResourceId: event.LogicalResourceId,
      requestId: event.RequestId,
      bucketName: 'media-assets',
      secretArn: SECRET_ARN_V0,
      accessKeyId: answer.Data!.AccessKeyId,
      outcome: 'created',
      durationMs: expect.any(Number),
    });
    expect(lines[0]).not.toContain(event.ResponseURL);
  });

  test('a secret echoed in an error message is masked before it is logged or answered', async () => {
    givenSecretHolds(PLACEHOLDER);
    givenBucketKeys();
    secrets.on(PutSecretValueCommand).callsFake((input) => {
      throw new Error(`Rejected value ${input.SecretString}`);
    });

    const { answer } = await invoke(createRequest());

    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain('[REDACTED]');
  });

  test('a response the URL refuses is retried', async () => {
    await invoke(deleteRequest('not-ours'));
    givenTheResponseUrlRefuses(1);
    await invoke(deleteRequest('not-ours'));
    expect(answers()).toHaveLength(2);
  });

  test('when the answer cannot be delivered, the invocation fails so that Lambda retries it', async () => {
    givenTheResponseUrlRefuses(10);
    await expect(invoke(deleteRequest('not-ours'))).rejects.toThrow('answered HTTP 500');
    expect(logs().at(-1)).toMatchObject({
      level: 'ERROR',
      error: expect.stringContaining('Could not answer CloudFormation'),
    });
  }, 20_000);
});

describe('the Lambda timeout', () => {
  test('too close to the Lambda timeout, no key is created: it could not be recorded in time', async () => {
    givenSecretHolds(PLACEHOLDER);
    givenBucketKeys();
    const context = { getRemainingTimeInMillis: () => 40_000 } as Context;

    const { answer } = await invoke(createRequest(), context);

    expect(lightsail).not.toHaveReceivedCommand(CreateBucketAccessKeyCommand);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain('Too little of the handler');
    expect(answer.Reason).toContain('nothing was created');
  });

  test('with time enough left, the same request creates the key', async () => {
    givenSecretHolds(PLACEHOLDER);
    givenBucketKeys();
    const context = { getRemainingTimeInMillis: () => 300_000 } as Context;

    const { answer } = await invoke(createRequest(), context);

    expect(lightsail).toHaveReceivedCommandTimes(CreateBucketAccessKeyCommand, 1);
    expect(answer.Status).toBe('SUCCESS');
  });

  test('work that outlives the Lambda timeout is answered as a failure before the timeout', async () => {
    givenSecretHolds(PLACEHOLDER);
    lightsail.on(GetBucketAccessKeysCommand).callsFake(() => new Promise(() => {}));
    const context = { getRemainingTimeInMillis: () => 16_000 } as Context;

    const { answer } = await invoke(createRequest(), context);

    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain('ran out of time');
  });
});
