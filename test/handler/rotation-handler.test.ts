/**
 * The rotation handler's steps with aws-sdk-client-mock: each step's decision, idempotence, and no secret in what
 * it logs or throws.
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
  InvalidParameterException,
  ListSecretVersionIdsCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../lambda/rotation';
import { GRACE_PERIOD_TAG, ROTATION_TAG } from '../../lib/contract';
import { ConsoleCapture, expectNoSecretIn } from '../support/capture';
import { SECRET_ARN_V0 as SECRET, generateKey } from './events';

const lightsail = mockClient(LightsailClient);
const secrets = mockClient(SecretsManagerClient);
const TOKEN = '7c1d0b5e-1111-4222-8333-944455556666';
let output: ConsoleCapture;
let generated: string[];

const newKey = () => generateKey(generated);
const record = (key: { accessKeyId: string; secretAccessKey: string }) =>
  JSON.stringify({ ...key, bucketName: 'media-assets', region: 'eu-west-1', endpoint: 'https://media/' });

/**
 * The secret's versions: id -> [stages, value]; a version without a value is the one RotateSecret made for this
 * rotation, not written yet. The secret has the tag that says rotation is on.
 */
function givenVersions(versions: Record<string, [string[], string?, Date?]>) {
  secrets
    .on(GetSecretValueCommand)
    .rejects(Object.assign(new Error('no such version'), { name: 'ResourceNotFoundException' }));
  secrets.on(DescribeSecretCommand).resolves({
    VersionIdsToStages: Object.fromEntries(Object.entries(versions).map(([id, [stages]]) => [id, stages])),
    Tags: [{ Key: ROTATION_TAG, Value: 'rate(30 days)' }],
  });
  secrets.on(ListSecretVersionIdsCommand).resolves({
    Versions: Object.entries(versions).map(([id, [stages, , created]]) => ({
      VersionId: id,
      VersionStages: stages,
      CreatedDate: created,
    })),
  });
  for (const [id, [stages, value]] of Object.entries(versions)) {
    if (value === undefined) continue;
    secrets
      .on(GetSecretValueCommand, { SecretId: SECRET, VersionId: id })
      .resolves({ VersionId: id, SecretString: value, VersionStages: stages });
    for (const stage of stages) {
      secrets
        .on(GetSecretValueCommand, { SecretId: SECRET, VersionStage: stage })
        .resolves({ VersionId: id, SecretString: value, VersionStages: stages });
    }
  }
}

/** The version RotateSecret makes for this rotation before the first step: AWSPENDING, no value yet. */
const UNWRITTEN: [string[]] = [['AWSPENDING']];

function givenBucketKeys(...keys: Array<{ accessKeyId: string; status?: string }>) {
  lightsail
    .on(GetBucketAccessKeysCommand)
    .resolves({ accessKeys: keys.map((k) => ({ status: 'Active', ...k })) as any });
}

const step = (Step: string) => handler({ SecretId: SECRET, ClientRequestToken: TOKEN, Step } as any);

beforeAll(() => (process.env.AWS_REGION = 'eu-west-1'));
beforeEach(() => {
  lightsail.reset();
  secrets.reset();
  generated = [];
  output = new ConsoleCapture().start();
  lightsail.on(CreateBucketAccessKeyCommand).callsFake(() => ({ accessKey: { ...newKey(), status: 'Active' } }));
  lightsail.on(DeleteBucketAccessKeyCommand).resolves({});
});
afterEach(() => {
  output.stop();
  if (generated.length) expectNoSecretIn(output.lines, generated);
});

describe('createSecret', () => {
  test('deletes the previous key, then creates the pending key with the rotation token', async () => {
    const current = newKey();
    const previous = newKey();
    givenVersions({
      v1: [['AWSCURRENT'], record(current)],
      v0: [['AWSPREVIOUS'], record(previous)],
      [TOKEN]: UNWRITTEN,
    });
    givenBucketKeys(current, previous);
    lightsail.on(DeleteBucketAccessKeyCommand).callsFake(() => {
      givenBucketKeys(current);
      return {};
    });

    await step('createSecret');

    expect(lightsail).toHaveReceivedCommandWith(DeleteBucketAccessKeyCommand, { accessKeyId: previous.accessKeyId });
    const [put] = secrets.commandCalls(PutSecretValueCommand);
    expect(put.args[0].input).toMatchObject({
      SecretId: SECRET,
      ClientRequestToken: TOKEN,
      VersionStages: ['AWSPENDING'],
    });
    // The current record predates bucketUrl: its endpoint was the bucket's URL, which the new record keeps as such.
    expect(JSON.parse(put.args[0].input.SecretString!)).toMatchObject({
      bucketName: 'media-assets',
      endpoint: 'https://s3.eu-west-1.amazonaws.com',
      bucketUrl: 'https://media/',
    });
    expect(output.json().at(-1)).toMatchObject({
      step: 'createSecret',
      outcome: 'created',
      deletedKeyIds: [previous.accessKeyId],
    });
  });

  test('does nothing when the pending version of this token exists', async () => {
    const pending = newKey();
    givenVersions({ v1: [['AWSCURRENT'], record(newKey())], [TOKEN]: [['AWSPENDING'], record(pending)] });
    givenBucketKeys(pending);

    await step('createSecret');

    expect(lightsail).not.toHaveReceivedCommand(CreateBucketAccessKeyCommand);
    expect(lightsail).not.toHaveReceivedCommand(DeleteBucketAccessKeyCommand);
    expect(output.json().at(-1)).toMatchObject({ outcome: 'pending-exists' });
  });

  test('does nothing when this token is already current', async () => {
    givenVersions({ [TOKEN]: [['AWSCURRENT'], record(newKey())] });
    await step('createSecret');
    expect(lightsail.calls()).toHaveLength(0);
    expect(output.json().at(-1)).toMatchObject({ outcome: 'already-current' });
  });

  test('too close to the Lambda timeout, no key is created; Secrets Manager retries the step', async () => {
    const current = newKey();
    givenVersions({ v1: [['AWSCURRENT'], record(current)], [TOKEN]: UNWRITTEN });
    givenBucketKeys(current);
    const event = { SecretId: SECRET, ClientRequestToken: TOKEN, Step: 'createSecret' } as const;

    await expect(handler(event, { getRemainingTimeInMillis: () => 30_000 } as Context)).rejects.toThrow(
      'nothing was created',
    );
    expect(lightsail).not.toHaveReceivedCommand(CreateBucketAccessKeyCommand);
  });

  test('a secret without a key yet cannot rotate', async () => {
    givenVersions({ v0: [['AWSCURRENT'], '{"status":"awaiting-access-key","placeholder":"x"}'], [TOKEN]: UNWRITTEN });
    await expect(step('createSecret')).rejects.toThrow(`Secret ${SECRET} holds no access key yet`);
  });

  test('a bucket whose other slot holds another key: the error says the rotating key needs the bucket to itself', async () => {
    const current = newKey();
    givenVersions({ v1: [['AWSCURRENT'], record(current)], [TOKEN]: UNWRITTEN });
    givenBucketKeys(current, { accessKeyId: 'AKIASOMEONEELSE' });

    await expect(step('createSecret')).rejects.toThrow('A rotating BucketAccessKey needs its bucket to itself.');
    expect(lightsail).not.toHaveReceivedCommand(CreateBucketAccessKeyCommand);
  });

  test('a delivery that loses the write to a duplicate deletes its key and succeeds', async () => {
    const current = newKey();
    const winner = newKey();
    givenVersions({ v1: [['AWSCURRENT'], record(current)], [TOKEN]: UNWRITTEN });
    givenBucketKeys(current);
    secrets
      .on(GetSecretValueCommand, { SecretId: SECRET, VersionId: TOKEN })
      .rejectsOnce(Object.assign(new Error('no such version'), { name: 'ResourceNotFoundException' }))
      .resolves({ VersionId: TOKEN, SecretString: record(winner), VersionStages: ['AWSPENDING'] });
    secrets
      .on(PutSecretValueCommand)
      .rejects(new ResourceExistsException({ message: 'exists', $metadata: { httpStatusCode: 400 } }));

    await step('createSecret');

    const own = lightsail.commandCalls(DeleteBucketAccessKeyCommand).map((c) => c.args[0].input.accessKeyId);
    expect(own).toHaveLength(1);
    expect(own[0]).not.toBe(winner.accessKeyId);
    expect(output.json().at(-1)).toMatchObject({ outcome: 'pending-exists', accessKeyId: winner.accessKeyId });
  });

  test('what escapes the handler is redacted and logged', async () => {
    const current = newKey();
    givenVersions({ v1: [['AWSCURRENT'], record(current)], [TOKEN]: UNWRITTEN });
    givenBucketKeys(current);
    secrets.on(PutSecretValueCommand).callsFake((input) => {
      throw new Error(`rejected ${input.SecretString}`);
    });

    const error = await step('createSecret').catch((e: Error) => e);

    expect(String(error)).toContain('[REDACTED]');
    expectNoSecretIn([String(error), (error as Error).stack ?? ''], generated);
    expect(output.json().at(-1)).toMatchObject({ level: 'ERROR', outcome: 'failed' });
  });
});

describe('setSecret, testSecret, finishSecret', () => {
  test('setSecret has nothing to set', async () => {
    givenVersions({ v1: [['AWSCURRENT'], record(newKey())], [TOKEN]: [['AWSPENDING'], record(newKey())] });
    await step('setSecret');
    expect(lightsail.calls()).toHaveLength(0);
    expect(secrets).not.toHaveReceivedCommand(PutSecretValueCommand);
  });

  test('testSecret passes when Lightsail lists the pending key as Active', async () => {
    const pending = newKey();
    givenVersions({ v1: [['AWSCURRENT'], record(newKey())], [TOKEN]: [['AWSPENDING'], record(pending)] });
    givenBucketKeys(pending);
    await step('testSecret');
    expect(output.json().at(-1)).toMatchObject({ outcome: 'tested', accessKeyId: pending.accessKeyId });
  });

  test.each([
    ['missing', [] as Array<{ accessKeyId: string; status?: string }>, 'is missing from bucket'],
    ['Inactive', [{ status: 'Inactive' }], 'is Inactive on bucket'],
  ])('testSecret fails when the pending key is %s', async (_, listed, message) => {
    const pending = newKey();
    givenVersions({ v1: [['AWSCURRENT'], record(newKey())], [TOKEN]: [['AWSPENDING'], record(pending)] });
    givenBucketKeys(...listed.map((k) => ({ accessKeyId: pending.accessKeyId, ...k })));
    await expect(step('testSecret')).rejects.toThrow(message);
  });

  test('testSecret without a pending key fails', async () => {
    givenVersions({ v1: [['AWSCURRENT'], record(newKey())], [TOKEN]: [['AWSPENDING'], '{}'] });
    await expect(step('testSecret')).rejects.toThrow('has no pending key for rotation');
  });

  test('finishSecret moves AWSCURRENT to the pending version', async () => {
    const pending = newKey();
    givenVersions({ v1: [['AWSCURRENT'], record(newKey())], [TOKEN]: [['AWSPENDING'], record(pending)] });
    givenBucketKeys(pending);
    await step('finishSecret');
    expect(secrets).toHaveReceivedCommandWith(UpdateSecretVersionStageCommand, {
      SecretId: SECRET,
      VersionStage: 'AWSCURRENT',
      MoveToVersionId: TOKEN,
      RemoveFromVersionId: 'v1',
    });
  });

  test("finishSecret whose move took effect but whose answer was lost is done: the SDK's retry finds AWSCURRENT moved", async () => {
    const pending = newKey();
    givenVersions({ v1: [['AWSCURRENT'], record(newKey())], [TOKEN]: [['AWSPENDING'], record(pending)] });
    givenBucketKeys(pending);
    secrets.on(UpdateSecretVersionStageCommand).callsFake(() => {
      givenVersions({
        v1: [['AWSPREVIOUS'], record(newKey())],
        [TOKEN]: [['AWSCURRENT', 'AWSPENDING'], record(pending)],
      });
      throw new InvalidParameterException({
        message: `The staging label AWSCURRENT is not attached to version v1.`,
        $metadata: { httpStatusCode: 400 },
      });
    });
    await step('finishSecret');
    expect(output.json().at(-1)).toMatchObject({ outcome: 'finished', accessKeyId: pending.accessKeyId });
  });

  test('finishSecret whose move failed, the label elsewhere, fails', async () => {
    const pending = newKey();
    givenVersions({ v1: [['AWSCURRENT'], record(newKey())], [TOKEN]: [['AWSPENDING'], record(pending)] });
    givenBucketKeys(pending);
    secrets
      .on(UpdateSecretVersionStageCommand)
      .rejects(new InvalidParameterException({ message: 'refused', $metadata: { httpStatusCode: 400 } }));
    await expect(step('finishSecret')).rejects.toThrow('refused');
  });

  test('an unknown step is an error', async () => {
    await expect(step('dance')).rejects.toThrow('Unknown rotation step "dance".');
  });
});

describe('grace periods', () => {
  const PREFIX = 'lightsail-bucket-access-key/TestStack/6c7f2f40-0000-11ef-0000-0a1b2c3d4e5f/';
  const sweep = () => handler({ expireGracePeriods: { secretNamePrefix: PREFIX } });
  /** The stack's key secrets with a grace period, as ListSecrets finds them by name prefix and tag. */
  function givenGracePeriods(...secretArns: string[]) {
    secrets.on(ListSecretsCommand).resolves({
      SecretList: secretArns.map((ARN) => ({ ARN, Tags: [{ Key: GRACE_PERIOD_TAG, Value: '3600' }] })),
    });
  }

  test("the stack's key secrets with a grace period are found by their name prefix and tag", async () => {
    givenGracePeriods(SECRET);
    givenVersions({ v1: [['AWSCURRENT'], record(newKey()), new Date()] });
    await sweep();
    expect(secrets).toHaveReceivedCommandWith(ListSecretsCommand, {
      Filters: [
        { Key: 'name', Values: [PREFIX] },
        { Key: 'tag-key', Values: [GRACE_PERIOD_TAG] },
      ],
    });
  });

  test('once the current key is older than the grace period, the previous key goes; a pending one stays', async () => {
    const previous = newKey();
    const pending = newKey();
    givenGracePeriods(SECRET);
    givenVersions({
      v1: [['AWSCURRENT'], record(newKey()), new Date(Date.now() - 2 * 3600_000)],
      v0: [['AWSPREVIOUS'], record(previous)],
      [TOKEN]: [['AWSPENDING'], record(pending)],
    });

    await sweep();

    expect(lightsail.commandCalls(DeleteBucketAccessKeyCommand).map((c) => c.args[0].input.accessKeyId)).toEqual([
      previous.accessKeyId,
    ]);
    expect(output.json().at(-1)).toMatchObject({ step: 'expireGracePeriod', outcome: 'grace-period-ended' });
  });

  test('within the grace period nothing is deleted', async () => {
    givenGracePeriods(SECRET);
    givenVersions({ v1: [['AWSCURRENT'], record(newKey()), new Date()], v0: [['AWSPREVIOUS'], record(newKey())] });
    await sweep();
    expect(lightsail).not.toHaveReceivedCommand(DeleteBucketAccessKeyCommand);
    expect(output.json().at(-1)).toMatchObject({ outcome: 'in-grace-period' });
  });

  test('one secret failing does not stop the others, and fails the invocation', async () => {
    givenGracePeriods(SECRET, `${SECRET}x`);
    secrets.on(ListSecretVersionIdsCommand).rejects(new Error('throttled for good'));
    await expect(sweep()).rejects.toThrow('2 grace periods could not be checked');
    expect(output.json().filter((l) => l.outcome === 'failed')).toHaveLength(2);
  });
});
