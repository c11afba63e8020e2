/**
 * The handler's decisions, one per test, with the AWS SDK clients replaced by aws-sdk-client-mock. Responses go to
 * a local stand-in for the pre-signed URL; every test that sees a generated secret checks that it leaked nowhere.
 */
import {
  CreateBucketAccessKeyCommand,
  DeleteBucketAccessKeyCommand,
  GetBucketAccessKeysCommand,
  GetBucketsCommand,
  InvalidInputException,
  LightsailClient,
  LightsailServiceException,
  NotFoundException,
  AccessDeniedException,
} from '@aws-sdk/client-lightsail';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  InvalidRequestException,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  RestoreSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../lambda/bucket-access-key';
import { RETIRED_MARKER, lineageToken, replacementToken, retiredToken } from '../../lambda/shared/key-secret';
import { RETIRED_STAGE } from '../../lib/contract';
import { ConsoleCapture, ResponseEndpoint, expectNoSecretIn } from '../support/capture';
import {
  type DeliveredProperties,
  MADE_UP_PHYSICAL_ID,
  SECRET_ARN_V0,
  createEvent,
  deleteEvent,
  generateKey,
  keyProperties,
} from './events';

const lightsail = mockClient(LightsailClient);
const secrets = mockClient(SecretsManagerClient);
/** An error answer of the service, as the SDK reports it (a 4xx: the service refused the call). */
const meta = { $metadata: { httpStatusCode: 400 } };

let endpoint: ResponseEndpoint;
let output: ConsoleCapture;
/** Every secret access key the mocked Lightsail handed out in the current test. */
let generated: string[];

beforeAll(async () => {
  process.env.AWS_REGION = 'eu-west-1';
  endpoint = await ResponseEndpoint.start();
});
afterAll(() => endpoint.close());

beforeEach(() => {
  lightsail.reset();
  secrets.reset();
  endpoint.responses.length = 0;
  generated = [];
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
// Whatever a test did, no secret it generated may appear in a response or a log line.
afterEach(() => {
  output.stop();
  if (generated.length) expectNoSecretIn(everythingSent(), generated);
});

function markedForDeletion() {
  return new InvalidRequestException({
    message: "You can't perform this operation on the secret because it was marked for deletion.",
    ...meta,
  });
}

const newKey = () => generateKey(generated);

/** A key record as the handler writes it into the secret. */
function record(key: { accessKeyId: string; secretAccessKey: string }, bucketName = 'media-assets') {
  return JSON.stringify({ ...key, bucketName, region: 'eu-west-1', endpoint: 'https://x/' });
}

function givenSecretHolds(secretString: string, secretArn = SECRET_ARN_V0) {
  secrets.on(GetSecretValueCommand, { SecretId: secretArn, VersionStage: 'AWSCURRENT' }).resolves({
    SecretString: secretString,
    VersionId: 'v-current',
    VersionStages: ['AWSCURRENT'],
  });
}

const PLACEHOLDER = '{"status":"awaiting-access-key","placeholder":"Xy12Ab34Cd56Ef78"}';

function givenBucketKeys(...ids: string[]) {
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

/** Everything the handler sent out: responses and log lines. */
function everythingSent(): string[] {
  return [...endpoint.responses.map((r) => r.raw), ...output.lines];
}

function writtenSecretStrings(): string[] {
  return secrets.commandCalls(PutSecretValueCommand).map((c) => c.args[0].input.SecretString ?? '');
}

describe('Create', () => {
  test('creates a key, writes it into the secret, and answers with the key id but no secret', async () => {
    // Given a lineage whose secret holds the placeholder, on a bucket with no key
    givenSecretHolds(PLACEHOLDER);
    givenBucketKeys();
    const event = createEvent(endpoint.url());

    // When the Create arrives
    await handler(event);

    // Then one key is created and recorded; the answer names it, without its secret
    expect(lightsail).toHaveReceivedCommandTimes(CreateBucketAccessKeyCommand, 1);
    expect(lightsail).toHaveReceivedCommandWith(CreateBucketAccessKeyCommand, { bucketName: 'media-assets' });
    expect(lightsail).not.toHaveReceivedCommand(GetBucketsCommand);
    const [put] = secrets.commandCalls(PutSecretValueCommand);
    expect(put.args[0].input.SecretId).toBe(SECRET_ARN_V0);
    expect(put.args[0].input.ClientRequestToken).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(put.args[0].input.SecretString!)).toEqual({
      accessKeyId: expect.stringMatching(/^AKIA/),
      secretAccessKey: generated[0],
      bucketName: 'media-assets',
      region: 'eu-west-1',
      endpoint: 'https://s3.eu-west-1.amazonaws.com',
      bucketUrl: 'https://media-assets.s3.eu-west-1.amazonaws.com/',
    });

    const response = endpoint.last();
    expect(response).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: SECRET_ARN_V0,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
      Data: {
        AccessKeyId: JSON.parse(put.args[0].input.SecretString!).accessKeyId,
        SecretArn: SECRET_ARN_V0,
        BucketName: 'media-assets',
      },
    });
    expect(Object.keys(response.Data!).sort()).toEqual(['AccessKeyId', 'BucketName', 'SecretArn']);
  });

  test('reads the endpoint from GetBuckets when the construct did not pass one', async () => {
    givenSecretHolds(PLACEHOLDER);
    givenBucketKeys();
    lightsail.on(GetBucketsCommand).resolves({ buckets: [{ name: 'media-assets', url: 'https://from-get-buckets/' }] });

    await handler(createEvent(endpoint.url(), keyProperties({ Endpoint: '' })));

    expect(JSON.parse(writtenSecretStrings()[0])).toMatchObject({
      endpoint: 'https://s3.eu-west-1.amazonaws.com',
      bucketUrl: 'https://from-get-buckets/',
    });
    expect(endpoint.last().Status).toBe('SUCCESS');
  });

  test('when the secret cannot be written, the new key is deleted before failing', async () => {
    givenSecretHolds(PLACEHOLDER);
    givenBucketKeys();
    secrets.on(PutSecretValueCommand).rejects(new ResourceExistsException({ message: 'version exists', ...meta }));

    await handler(createEvent(endpoint.url()));

    const createdId = JSON.parse(writtenSecretStrings()[0]).accessKeyId;
    expect(lightsail).toHaveReceivedCommandWith(DeleteBucketAccessKeyCommand, {
      bucketName: 'media-assets',
      accessKeyId: createdId,
    });
    expect(endpoint.last()).toMatchObject({ Status: 'FAILED', PhysicalResourceId: SECRET_ARN_V0 });
    expect(endpoint.last().Reason).toMatch(
      /Could not store the new access key in its secret \(ResourceExistsException: version exists\)\. The key was deleted again\./,
    );
  });

  test('when deleting the unwritten key fails too, the error says how to delete it by hand', async () => {
    givenSecretHolds(PLACEHOLDER);
    givenBucketKeys();
    secrets.on(PutSecretValueCommand).rejects(new Error('KMS key disabled'));
    lightsail
      .on(DeleteBucketAccessKeyCommand)
      .rejects(new AccessDeniedException({ message: 'denied', ...meta } as any));

    await handler(createEvent(endpoint.url()));

    const createdId = JSON.parse(writtenSecretStrings()[0]).accessKeyId;
    expect(endpoint.last().Status).toBe('FAILED');
    expect(endpoint.last().Reason).toContain(
      `aws lightsail delete-bucket-access-key --bucket-name media-assets --access-key-id ${createdId}`,
    );
  });

  test('a secret echoed in an error message is masked before it is logged or answered', async () => {
    givenSecretHolds(PLACEHOLDER);
    givenBucketKeys();
    secrets.on(PutSecretValueCommand).callsFake((input) => {
      throw new Error(`Rejected value ${input.SecretString}`);
    });

    await handler(createEvent(endpoint.url()));

    expect(endpoint.last().Status).toBe('FAILED');
    expect(endpoint.last().Reason).toContain('[REDACTED]');
  });

  test('a retried request finds its key in the secret and creates no second key', async () => {
    const existing = newKey();
    givenSecretHolds(record(existing));
    givenBucketKeys(existing.accessKeyId);
    const event = createEvent(endpoint.url());

    await handler(event);
    await handler(event);

    expect(lightsail).not.toHaveReceivedCommand(CreateBucketAccessKeyCommand);
    expect(secrets).not.toHaveReceivedCommand(PutSecretValueCommand);
    expect(endpoint.responses.map((r) => [r.Status, r.PhysicalResourceId, r.Data?.AccessKeyId])).toEqual([
      ['SUCCESS', SECRET_ARN_V0, existing.accessKeyId],
      ['SUCCESS', SECRET_ARN_V0, existing.accessKeyId],
    ]);
  });

  test("a lineage's first key is written with a token of the lineage: every delivery of every request competes", async () => {
    givenSecretHolds(PLACEHOLDER);
    givenBucketKeys();
    const event = createEvent(endpoint.url());
    await handler(event);
    await handler(event);
    await handler(createEvent(endpoint.url()));
    const tokens = secrets.commandCalls(PutSecretValueCommand).map((c) => c.args[0].input.ClientRequestToken);
    expect(tokens).toEqual([lineageToken(SECRET_ARN_V0), lineageToken(SECRET_ARN_V0), lineageToken(SECRET_ARN_V0)]);
  });

  test("a delivery that loses the write to another delivery answers with the winner's key", async () => {
    const winner = newKey();
    // The bucket is empty when the delivery starts; the winner's key is there when it looks again.
    lightsail
      .on(GetBucketAccessKeysCommand)
      .resolvesOnce({ accessKeys: [] })
      .resolves({ accessKeys: [{ accessKeyId: winner.accessKeyId, status: 'Active' }] });
    secrets
      .on(GetSecretValueCommand, { SecretId: SECRET_ARN_V0, VersionStage: 'AWSCURRENT' })
      .resolvesOnce({ SecretString: PLACEHOLDER, VersionId: 'placeholder' })
      .resolves({ SecretString: record(winner), VersionId: lineageToken(SECRET_ARN_V0) });
    secrets.on(PutSecretValueCommand).rejects(new ResourceExistsException({ message: 'different value', ...meta }));

    await handler(createEvent(endpoint.url()));

    const ownKey = JSON.parse(writtenSecretStrings()[0]).accessKeyId;
    expect(lightsail).toHaveReceivedCommandWith(DeleteBucketAccessKeyCommand, { accessKeyId: ownKey });
    expect(endpoint.last()).toMatchObject({ Status: 'SUCCESS', Data: { AccessKeyId: winner.accessKeyId } });
  });

  test("a delivery refused for the slot another delivery took answers with that delivery's key", async () => {
    const winner = newKey();
    givenBucketKeys('AKIAOTHERLINEAGE', winner.accessKeyId);
    secrets
      .on(GetSecretValueCommand, { SecretId: SECRET_ARN_V0, VersionStage: 'AWSCURRENT' })
      .resolvesOnce({ SecretString: PLACEHOLDER, VersionId: 'placeholder' })
      .resolves({ SecretString: record(winner), VersionId: lineageToken(SECRET_ARN_V0) });

    await handler(createEvent(endpoint.url()));

    expect(lightsail).not.toHaveReceivedCommand(CreateBucketAccessKeyCommand);
    expect(endpoint.last()).toMatchObject({ Status: 'SUCCESS', Data: { AccessKeyId: winner.accessKeyId } });
  });

  test('a key written by something else than a delivery of this lineage is not adopted on failure', async () => {
    givenBucketKeys('AKIAONE', 'AKIATWO');
    secrets
      .on(GetSecretValueCommand, { SecretId: SECRET_ARN_V0, VersionStage: 'AWSCURRENT' })
      .resolvesOnce({ SecretString: PLACEHOLDER, VersionId: 'placeholder' })
      .resolves({ SecretString: record(newKey()), VersionId: 'written-by-hand' });

    await handler(createEvent(endpoint.url()));

    expect(endpoint.last().Status).toBe('FAILED');
  });

  test('a recorded key deleted out of band is replaced, and the log says so', async () => {
    const gone = newKey();
    givenSecretHolds(record(gone));
    givenBucketKeys();

    await handler(createEvent(endpoint.url()));

    expect(lightsail).toHaveReceivedCommandTimes(CreateBucketAccessKeyCommand, 1);
    expect(secrets).toHaveReceivedCommandWith(PutSecretValueCommand, {
      ClientRequestToken: replacementToken(SECRET_ARN_V0, gone.accessKeyId),
    });
    const log = output.json().at(-1)!;
    expect(log.outcome).toBe('replaced-missing-key');
    expect(String(log.notes)).toContain(`The recorded key ${gone.accessKeyId} no longer exists`);
  });

  test('a secret that records a key of another bucket is an error, not an overwrite', async () => {
    givenSecretHolds(record(newKey(), 'other-bucket'));
    givenBucketKeys();

    await handler(createEvent(endpoint.url()));

    expect(lightsail).not.toHaveReceivedCommand(CreateBucketAccessKeyCommand);
    expect(endpoint.last().Reason).toContain('records a key of bucket "other-bucket", not "media-assets"');
  });

  test('at the two-key limit it fails before creating anything, naming the keys and the fix', async () => {
    givenSecretHolds(PLACEHOLDER);
    givenBucketKeys('AKIAFIRST', 'AKIASECOND');

    await handler(createEvent(endpoint.url()));

    expect(lightsail).not.toHaveReceivedCommand(CreateBucketAccessKeyCommand);
    const reason = endpoint.last().Reason!;
    expect(reason).toContain('Bucket "media-assets" already has 2 access keys, Lightsail\'s limit per bucket');
    expect(reason).toContain(
      'AKIAFIRST (Active, created 2026-01-01T00:00:00.000Z, last used 2026-06-01T00:00:00.000Z)',
    );
    expect(reason).toContain('AKIASECOND (Active, created 2026-01-02T00:00:00.000Z, never used)');
    expect(reason).toContain('aws lightsail delete-bucket-access-key --bucket-name media-assets --access-key-id <id>');
    expect(reason).toContain('Nothing was changed.');
  });

  test('when another key takes the last slot meanwhile, the refusal is explained by the slots', async () => {
    givenSecretHolds(PLACEHOLDER);
    lightsail
      .on(GetBucketAccessKeysCommand)
      .resolvesOnce({ accessKeys: [{ accessKeyId: 'AKIAFIRST' }] })
      .resolves({ accessKeys: [{ accessKeyId: 'AKIAFIRST' }, { accessKeyId: 'AKIARACER' }] });
    lightsail.on(CreateBucketAccessKeyCommand).rejects(new InvalidInputException({ message: 'limit', ...meta } as any));

    await handler(createEvent(endpoint.url()));

    expect(endpoint.last().Reason).toContain('Another key took the last free slot');
    expect(endpoint.last().Reason).toContain('AKIARACER');
  });

  test('a throttled creation is retried: Lightsail did nothing', async () => {
    // Given Lightsail throttles the first creation
    givenSecretHolds(PLACEHOLDER);
    givenBucketKeys();
    lightsail
      .on(CreateBucketAccessKeyCommand)
      .rejectsOnce(
        new LightsailServiceException({
          name: 'ThrottlingException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
        }),
      )
      .callsFake(() => ({ accessKey: { ...newKey(), status: 'Active' } }));

    // When the Create runs
    await handler(createEvent(endpoint.url()));

    // Then the creation is tried again and succeeds
    expect(lightsail).toHaveReceivedCommandTimes(CreateBucketAccessKeyCommand, 2);
    expect(endpoint.last().Status).toBe('SUCCESS');
  });

  test('a creation whose answer was lost is retried when the bucket shows no new key', async () => {
    givenSecretHolds(PLACEHOLDER);
    givenBucketKeys();
    lightsail
      .on(CreateBucketAccessKeyCommand)
      .rejectsOnce(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }))
      .callsFake(() => ({ accessKey: { ...newKey(), status: 'Active' } }));

    await handler(createEvent(endpoint.url()));

    expect(lightsail).toHaveReceivedCommandTimes(CreateBucketAccessKeyCommand, 2);
    expect(endpoint.last().Status).toBe('SUCCESS');
  });

  test('a creation whose answer was lost after the key appeared is not repeated: the error names the key', async () => {
    // Given a creation whose answer is lost, after which the bucket lists a new key
    // Regression: the SDK used to retry CreateBucketAccessKey itself, making a second key after a lost answer.
    givenSecretHolds(PLACEHOLDER);
    lightsail
      .on(GetBucketAccessKeysCommand)
      .resolvesOnce({ accessKeys: [] })
      .resolves({
        accessKeys: [{ accessKeyId: 'AKIALOSTANSWER', status: 'Active', createdAt: new Date(Date.UTC(2026, 10, 28)) }],
      });
    lightsail.on(CreateBucketAccessKeyCommand).rejects(
      new LightsailServiceException({
        name: 'ServiceException',
        $fault: 'server',
        $metadata: { httpStatusCode: 500 },
      }),
    );

    // When the Create runs
    await handler(createEvent(endpoint.url()));

    // Then no second key is created, and the error names the one that appeared
    expect(lightsail).toHaveReceivedCommandTimes(CreateBucketAccessKeyCommand, 1);
    const reason = endpoint.last().Reason!;
    expect(reason).toContain('failed without an answer (ServiceException');
    expect(reason).toContain(
      'the bucket now has a key it did not have before: AKIALOSTANSWER (Active, created 2026-11-28',
    );
    expect(reason).toContain('delete it (aws lightsail delete-bucket-access-key --bucket-name media-assets');
  });

  test('any other refusal to create is reported with its cause', async () => {
    givenSecretHolds(PLACEHOLDER);
    givenBucketKeys();
    lightsail
      .on(CreateBucketAccessKeyCommand)
      .rejects(new AccessDeniedException({ message: 'not allowed', ...meta } as any));

    await handler(createEvent(endpoint.url()));

    expect(endpoint.last().Reason).toBe(
      'Could not create an access key for bucket "media-assets": AccessDeniedException: not allowed',
    );
  });

  test('a missing bucket gives an error that says what to do, not an SDK dump', async () => {
    givenSecretHolds(PLACEHOLDER);
    lightsail
      .on(GetBucketAccessKeysCommand)
      .rejects(new NotFoundException({ message: 'bucket DoesNotExist', ...meta } as any));

    await handler(createEvent(endpoint.url()));

    expect(endpoint.last().Reason).toBe(
      'Lightsail bucket "media-assets" does not exist in eu-west-1. If the bucket is defined in this app, pass the ' +
        'lightsail.CfnBucket as `bucket` (which also deploys the key after the bucket); otherwise check `bucketName`.',
    );
  });

  test('properties without a secret fail with a placeholder physical id that a later Delete ignores', async () => {
    const event = createEvent(endpoint.url(), { BucketName: 'media-assets' } as DeliveredProperties);

    await handler(event);
    expect(endpoint.last()).toMatchObject({
      Status: 'FAILED',
      Reason: 'Property SecretArn is missing or empty.',
      PhysicalResourceId: `failed-${event.RequestId}`,
    });

    await handler(deleteEvent(endpoint.url(), `failed-${event.RequestId}`, {} as DeliveredProperties));
    expect(endpoint.last().Status).toBe('SUCCESS');
    expect(lightsail.calls()).toHaveLength(0);
    expect(secrets.calls()).toHaveLength(0);
  });

  test('a secret scheduled for deletion out of band is an error that says how to restore it', async () => {
    secrets.on(GetSecretValueCommand).rejects(markedForDeletion());
    givenBucketKeys();

    await handler(createEvent(endpoint.url()));

    expect(lightsail).not.toHaveReceivedCommand(CreateBucketAccessKeyCommand);
    expect(endpoint.last().Reason).toBe(
      `The key's secret ${SECRET_ARN_V0} is scheduled for deletion, outside CloudFormation. Restore it ` +
        `(aws secretsmanager restore-secret --secret-id ${SECRET_ARN_V0}) and deploy again.`,
    );
  });

  test('a lineage a Delete has closed gets no key: the request came after CloudFormation gave up on it', async () => {
    givenSecretHolds(PLACEHOLDER);
    secrets
      .on(DescribeSecretCommand, { SecretId: SECRET_ARN_V0 })
      .resolves({ VersionIdsToStages: { 'v-current': ['AWSCURRENT'], retired: [RETIRED_STAGE] } });
    givenBucketKeys();

    await handler(createEvent(endpoint.url()));

    expect(lightsail).not.toHaveReceivedCommand(CreateBucketAccessKeyCommand);
    expect(endpoint.last().Status).toBe('FAILED');
    expect(endpoint.last().Reason).toContain('was closed by a Delete of its resource');
  });

  test('a secret that no longer exists gets no key, and the error says how to give the key a new one', async () => {
    secrets
      .on(GetSecretValueCommand)
      .rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", ...meta }));
    givenBucketKeys();

    await handler(createEvent(endpoint.url()));

    expect(lightsail).not.toHaveReceivedCommand(CreateBucketAccessKeyCommand);
    expect(endpoint.last().Reason).toContain(`The key's secret ${SECRET_ARN_V0} does not exist`);
    expect(endpoint.last().Reason).toContain('increment `serial`');
  });

  test("a secret that is not one of this stack's key secrets gets no key: no stack Delete could ever remove it", async () => {
    const elsewhere = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:app-AbCdEf';

    await handler(createEvent(endpoint.url(), keyProperties({ SecretArn: elsewhere })));

    expect(lightsail.calls()).toHaveLength(0);
    expect(secrets.calls()).toHaveLength(0);
    expect(endpoint.last().Status).toBe('FAILED');
    expect(endpoint.last().Reason).toContain(`Secret ${elsewhere} is not one of this stack's key secrets`);
  });

  test('an unknown removal policy is rejected', async () => {
    // A template written by hand could send anything: the handler checks what the types promise.
    const props = { ...keyProperties(), RemovalPolicy: 'snapshot' } as unknown as DeliveredProperties;
    await handler(createEvent(endpoint.url(), props));
    expect(endpoint.last().Reason).toBe('Property RemovalPolicy must be "destroy" or "retain", got "snapshot".');
  });
});

describe('Delete', () => {
  function givenVersions(...values: Array<string | undefined>) {
    secrets.on(ListSecretVersionIdsCommand).resolves({
      Versions: values.map((_, i) => ({ VersionId: `v${i}`, VersionStages: i === 0 ? ['AWSCURRENT'] : [] })),
    });
    values.forEach((value, i) =>
      secrets
        .on(GetSecretValueCommand, { SecretId: SECRET_ARN_V0, VersionId: `v${i}` })
        .resolves({ SecretString: value }),
    );
  }

  test('deletes every key recorded in any version of the secret, once each', async () => {
    const current = newKey();
    const previous = newKey();
    givenVersions(record(current), record(previous), PLACEHOLDER, record(current));

    await handler(deleteEvent(endpoint.url(), SECRET_ARN_V0));

    expect(lightsail.commandCalls(DeleteBucketAccessKeyCommand).map((c) => c.args[0].input)).toEqual([
      { bucketName: 'media-assets', accessKeyId: current.accessKeyId },
      { bucketName: 'media-assets', accessKeyId: previous.accessKeyId },
    ]);
    expect(secrets).toHaveReceivedCommandWith(ListSecretVersionIdsCommand, { IncludeDeprecated: true });
    expect(endpoint.last()).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: SECRET_ARN_V0 });
    expect(output.json().at(-1)).toMatchObject({
      outcome: 'deleted',
      deletedKeyIds: [current.accessKeyId, previous.accessKeyId],
    });
  });

  test('first retires the lineage, so that a late first-key write fails instead of leaving a key behind', async () => {
    givenVersions(PLACEHOLDER);

    await handler(deleteEvent(endpoint.url(), SECRET_ARN_V0));

    expect(secrets.commandCalls(PutSecretValueCommand).map((c) => c.args[0].input)).toEqual([
      {
        SecretId: SECRET_ARN_V0,
        SecretString: RETIRED_MARKER,
        ClientRequestToken: retiredToken(SECRET_ARN_V0),
        VersionStages: [RETIRED_STAGE],
      },
      {
        SecretId: SECRET_ARN_V0,
        SecretString: RETIRED_MARKER,
        ClientRequestToken: lineageToken(SECRET_ARN_V0),
        VersionStages: [RETIRED_STAGE],
      },
    ]);
    const order = secrets.calls().map((c) => c.args[0].constructor.name);
    expect(order.indexOf('PutSecretValueCommand')).toBeLessThan(order.indexOf('ListSecretVersionIdsCommand'));
    expect(endpoint.last().Status).toBe('SUCCESS');
  });

  test("claims each key's replacement token before deleting the key, so a late healing write fails", async () => {
    const key = newKey();
    givenVersions(record(key));

    await handler(deleteEvent(endpoint.url(), SECRET_ARN_V0));

    const claim = secrets
      .commandCalls(PutSecretValueCommand)
      .find((c) => c.args[0].input.ClientRequestToken === replacementToken(SECRET_ARN_V0, key.accessKeyId));
    const deletion = lightsail.commandCalls(DeleteBucketAccessKeyCommand)[0];
    expect(claim?.args[0].input.SecretString).toBe(RETIRED_MARKER);
    expect(claim!.calledBefore(deletion as never)).toBe(true);
  });

  test('a replacement token found taken means a key was recorded meanwhile: a further pass deletes it', async () => {
    // Given a key recorded while the Delete ran
    const first = newKey();
    const late = newKey();
    secrets
      .on(ListSecretVersionIdsCommand)
      .resolvesOnce({ Versions: [{ VersionId: 'v0' }] })
      .resolves({ Versions: [{ VersionId: 'v0' }, { VersionId: 'v1' }] });
    secrets.on(GetSecretValueCommand, { VersionId: 'v0' }).resolves({ SecretString: record(first) });
    secrets.on(GetSecretValueCommand, { VersionId: 'v1' }).resolves({ SecretString: record(late) });
    // A late delivery replaced the first key (seen gone) before the claim of its replacement token.
    secrets
      .on(PutSecretValueCommand, { ClientRequestToken: replacementToken(SECRET_ARN_V0, first.accessKeyId) })
      .rejects(new ResourceExistsException({ message: 'exists', ...meta }));

    // When the Delete runs
    await handler(deleteEvent(endpoint.url(), SECRET_ARN_V0));

    // Then a further pass finds and deletes it
    expect(lightsail.commandCalls(DeleteBucketAccessKeyCommand).map((c) => c.args[0].input.accessKeyId)).toEqual([
      first.accessKeyId,
      late.accessKeyId,
    ]);
  });

  test('a claim that fails for any other reason fails the Delete: the lineage would stay open to a late writer', async () => {
    givenVersions(record(newKey()));
    secrets
      .on(PutSecretValueCommand)
      .rejects(new InvalidRequestException({ message: 'The KMS key is disabled.', ...meta }));

    await handler(deleteEvent(endpoint.url(), SECRET_ARN_V0));

    expect(lightsail).not.toHaveReceivedCommand(DeleteBucketAccessKeyCommand);
    expect(endpoint.last()).toMatchObject({
      Status: 'FAILED',
      Reason: 'InvalidRequestException: The KMS key is disabled.',
    });
  });

  test('keys recorded again and again while the Delete runs: after five passes it fails, for a retry to finish', async () => {
    // Given a replacement token that every pass finds taken, and a new key recorded before every read
    let pass = 0;
    secrets.on(ListSecretVersionIdsCommand).callsFake(() => ({
      Versions: Array.from({ length: ++pass }, (_, i) => ({ VersionId: `v${i}` })),
    }));
    const keys = Array.from({ length: 6 }, () => newKey());
    keys.forEach((key, i) =>
      secrets.on(GetSecretValueCommand, { VersionId: `v${i}` }).resolves({ SecretString: record(key) }),
    );
    secrets
      .on(PutSecretValueCommand)
      .callsFake((input) =>
        input.ClientRequestToken === lineageToken(SECRET_ARN_V0)
          ? {}
          : Promise.reject(new ResourceExistsException({ message: 'exists', ...meta })),
      );

    // When the Delete runs
    await handler(deleteEvent(endpoint.url(), SECRET_ARN_V0));

    // Then it deleted what it read, and fails rather than claim success with a key it has not read
    expect(lightsail).toHaveReceivedCommandTimes(DeleteBucketAccessKeyCommand, 5);
    expect(endpoint.last().Status).toBe('FAILED');
    expect(endpoint.last().Reason).toContain('Keys kept being recorded');
  });

  test('when every token was free, one read of the versions is enough', async () => {
    givenVersions(record(newKey()), record(newKey()));
    await handler(deleteEvent(endpoint.url(), SECRET_ARN_V0));
    expect(secrets).toHaveReceivedCommandTimes(ListSecretVersionIdsCommand, 1);
    expect(lightsail).toHaveReceivedCommandTimes(DeleteBucketAccessKeyCommand, 2);
  });

  test('follows ListSecretVersionIds pages', async () => {
    const first = newKey();
    const second = newKey();
    secrets
      .on(ListSecretVersionIdsCommand)
      .resolvesOnce({ Versions: [{ VersionId: 'v0' }], NextToken: 'page-2' })
      .resolves({ Versions: [{ VersionId: 'v1' }] });
    secrets.on(GetSecretValueCommand, { VersionId: 'v0' }).resolves({ SecretString: record(first) });
    secrets.on(GetSecretValueCommand, { VersionId: 'v1' }).resolves({ SecretString: record(second) });

    await handler(deleteEvent(endpoint.url(), SECRET_ARN_V0));

    expect(lightsail).toHaveReceivedCommandTimes(DeleteBucketAccessKeyCommand, 2);
  });

  test.each([
    ['the key is already gone', new NotFoundException({ message: 'The access key does not exist', ...meta } as any)],
    ['the bucket is already gone', new NotFoundException({ message: 'Bucket DoesNotExist', ...meta } as any)],
    [
      'the service says "DoesNotExist" without the typed error',
      new LightsailServiceException({
        name: 'OperationFailureException',
        $fault: 'client',
        message: 'Resource DoesNotExist',
        ...meta,
      }),
    ],
  ])('succeeds when %s', async (_, error) => {
    // Given a recorded key whose deletion says it is gone
    givenVersions(record(newKey()));
    lightsail.on(DeleteBucketAccessKeyCommand).rejects(error);

    // When the Delete runs
    await handler(deleteEvent(endpoint.url(), SECRET_ARN_V0));

    // Then it succeeds
    expect(endpoint.last().Status).toBe('SUCCESS');
    expect(output.json().at(-1)).toMatchObject({ outcome: 'deleted', deletedKeyIds: [] });
  });

  test('fails on any other error, so CloudFormation can retry the delete', async () => {
    givenVersions(record(newKey()));
    lightsail
      .on(DeleteBucketAccessKeyCommand)
      .rejects(new AccessDeniedException({ message: 'denied', ...meta } as any));

    await handler(deleteEvent(endpoint.url(), SECRET_ARN_V0));

    expect(endpoint.last()).toMatchObject({ Status: 'FAILED', PhysicalResourceId: SECRET_ARN_V0 });
    expect(endpoint.last().Reason).toBe('AccessDeniedException: denied');
  });

  test('RETAIN keeps the key: no AWS call at all', async () => {
    await handler(deleteEvent(endpoint.url(), SECRET_ARN_V0, keyProperties({ RemovalPolicy: 'retain' })));

    expect(lightsail.calls()).toHaveLength(0);
    expect(secrets.calls()).toHaveLength(0);
    expect(endpoint.last().Status).toBe('SUCCESS');
    expect(output.json().at(-1)).toMatchObject({ outcome: 'retained' });
  });

  test('neither an id nor properties naming a key secret of this stack: a no-op', async () => {
    const notOurs = keyProperties({ SecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:app-AbCdEf' });
    await handler(deleteEvent(endpoint.url(), MADE_UP_PHYSICAL_ID, notOurs));
    await handler(deleteEvent(endpoint.url(), notOurs.SecretArn, notOurs));

    expect(lightsail.calls()).toHaveLength(0);
    expect(secrets.calls()).toHaveLength(0);
    expect(endpoint.responses.map((r) => r.Status)).toEqual(['SUCCESS', 'SUCCESS']);
  });

  test('under an id CloudFormation made up, it closes the lineage the properties name and deletes its key', async () => {
    // Given a Create CloudFormation gave up on, whose still-running handler recorded its key
    const recorded = newKey();
    givenVersions(PLACEHOLDER, record(recorded));
    secrets
      .on(PutSecretValueCommand, { ClientRequestToken: lineageToken(SECRET_ARN_V0) })
      .rejects(new ResourceExistsException({ message: 'exists', ...meta }));

    // When CloudFormation sends the rollback's Delete under an id of its own
    await handler(deleteEvent(endpoint.url(), MADE_UP_PHYSICAL_ID));

    // Then the key goes, and the answer carries CloudFormation's id
    expect(lightsail).toHaveReceivedCommandWith(DeleteBucketAccessKeyCommand, { accessKeyId: recorded.accessKeyId });
    expect(endpoint.last()).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: MADE_UP_PHYSICAL_ID });
    expect(output.json().at(-1)).toMatchObject({ outcome: 'deleted', deletedKeyIds: [recorded.accessKeyId] });
    expect(String(output.json().at(-1)!.notes)).toContain('closed the lineage its properties name');
  });

  test('a secret already deleted cannot say which keys to delete: it succeeds and lists what is left', async () => {
    secrets
      .on(ListSecretVersionIdsCommand)
      .rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", ...meta }));
    givenBucketKeys('AKIALEFTOVER');

    await handler(deleteEvent(endpoint.url(), SECRET_ARN_V0));

    expect(endpoint.last().Status).toBe('SUCCESS');
    expect(lightsail).not.toHaveReceivedCommand(DeleteBucketAccessKeyCommand);
    const log = output.json().at(-1)!;
    expect(log.outcome).toBe('secret-gone');
    expect(String(log.notes)).toContain('Keys left on bucket "media-assets": AKIALEFTOVER');
  });

  test('a secret scheduled for deletion out of band is restored to read its keys, which are then deleted', async () => {
    const key = newKey();
    secrets
      .on(ListSecretVersionIdsCommand)
      .rejectsOnce(markedForDeletion())
      .resolves({ Versions: [{ VersionId: 'v0', VersionStages: ['AWSCURRENT'] }] });
    secrets.on(GetSecretValueCommand, { VersionId: 'v0' }).resolves({ SecretString: record(key) });

    await handler(deleteEvent(endpoint.url(), SECRET_ARN_V0));

    expect(secrets).toHaveReceivedCommandWith(RestoreSecretCommand, { SecretId: SECRET_ARN_V0 });
    expect(lightsail).toHaveReceivedCommandWith(DeleteBucketAccessKeyCommand, { accessKeyId: key.accessKeyId });
    expect(endpoint.last().Status).toBe('SUCCESS');
    expect(String(output.json().at(-1)!.notes)).toContain('restored it to read its keys');
  });
});

describe('answering CloudFormation', () => {
  test('one structured log line per event, with what an operator needs and no secret', async () => {
    // Given a Create that creates a key
    givenSecretHolds(PLACEHOLDER);
    givenBucketKeys();
    const event = createEvent(endpoint.url());

    // When it runs
    await handler(event);

    // Then one JSON line says what happened, without the response URL or a secret
    expect(output.lines).toHaveLength(1);
    const log = output.json()[0];
    expect(log).toEqual({
      level: 'INFO',
      requestType: 'Create',
      logicalResourceId: event.LogicalResourceId,
      requestId: event.RequestId,
      bucketName: 'media-assets',
      secretArn: SECRET_ARN_V0,
      accessKeyId: endpoint.last().Data!.AccessKeyId,
      outcome: 'created',
      durationMs: expect.any(Number),
    });
    expect(output.lines[0]).not.toContain(event.ResponseURL);
  });

  test('a response the URL refuses is retried', async () => {
    await handler(deleteEvent(endpoint.url(), 'not-ours'));
    endpoint.failNext = 1;
    await handler(deleteEvent(endpoint.url(), 'not-ours'));
    expect(endpoint.responses).toHaveLength(2);
  });

  test('when the answer cannot be delivered, the invocation fails so that Lambda retries it', async () => {
    endpoint.failNext = 10;
    await expect(handler(deleteEvent(endpoint.url(), 'not-ours'))).rejects.toThrow('answered HTTP 500');
    endpoint.failNext = 0;
    expect(output.json().at(-1)).toMatchObject({
      level: 'ERROR',
      error: expect.stringContaining('Could not answer CloudFormation'),
    });
  }, 20_000);

  test('too close to the Lambda timeout, no key is created: it could not be recorded in time', async () => {
    givenSecretHolds(PLACEHOLDER);
    givenBucketKeys();
    const context = { getRemainingTimeInMillis: () => 40_000 } as Context;

    await handler(createEvent(endpoint.url()), context);

    expect(lightsail).not.toHaveReceivedCommand(CreateBucketAccessKeyCommand);
    expect(endpoint.last().Status).toBe('FAILED');
    expect(endpoint.last().Reason).toContain('Too little of the handler');
    expect(endpoint.last().Reason).toContain('nothing was created');
  });

  test('with time enough left, the same request creates the key', async () => {
    givenSecretHolds(PLACEHOLDER);
    givenBucketKeys();
    const context = { getRemainingTimeInMillis: () => 300_000 } as Context;

    await handler(createEvent(endpoint.url()), context);

    expect(lightsail).toHaveReceivedCommandTimes(CreateBucketAccessKeyCommand, 1);
    expect(endpoint.last().Status).toBe('SUCCESS');
  });

  test('work that outlives the Lambda timeout is answered as a failure before the timeout', async () => {
    givenSecretHolds(PLACEHOLDER);
    lightsail.on(GetBucketAccessKeysCommand).callsFake(() => new Promise(() => {}));
    const context = { getRemainingTimeInMillis: () => 16_000 } as Context;

    await handler(createEvent(endpoint.url()), context);

    expect(endpoint.last().Status).toBe('FAILED');
    expect(endpoint.last().Reason).toContain('ran out of time');
  });
});
