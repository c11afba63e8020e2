// Pins the fake's wire behaviour to /work/shared/aws-facts.md, through the real SDK v3 clients.
import {
  CreateBucketAccessKeyCommand,
  DeleteBucketAccessKeyCommand,
  GetBucketAccessKeysCommand,
  GetBucketsCommand,
  LightsailClient,
  LightsailServiceException,
  NotFoundException,
  ServiceException,
} from '@aws-sdk/client-lightsail';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InternalServiceError,
  InvalidParameterException,
  InvalidRequestException,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  RestoreSecretCommand,
  SecretsManagerClient,
  SecretsManagerServiceException,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { type AwsFake } from './aws-fake';
import { failure, useFake } from './clients';

const setup = useFake({ region: 'eu-west-1', accountId: '111122223333' });
const { lightsail, secretsManager } = setup;
let fake: AwsFake;
beforeEach(() => (fake = setup.fake()));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('Lightsail', () => {
  test('GetBuckets returns the bucket with a generated ARN, its url and Date timestamps', async () => {
    const bucket = fake.lightsail.createBucket('photos');
    const out = await lightsail().send(new GetBucketsCommand({ bucketName: 'photos' }));

    expect(out.buckets).toHaveLength(1);
    const [b] = out.buckets!;
    expect(b).toMatchObject({ name: 'photos', arn: bucket.arn, url: bucket.url, state: { code: 'OK' } });
    expect(b.arn).toMatch(/^arn:aws:lightsail:eu-west-1:111122223333:Bucket\/[0-9a-f-]{36}$/);
    expect(b.url).toBe('https://photos.s3.eu-west-1.amazonaws.com/');
    expect(b.createdAt).toBeInstanceOf(Date);
    expect(out.$metadata.requestId).toMatch(UUID);
  });

  test('GetBuckets without a name lists every bucket; an unknown name is NotFoundException', async () => {
    fake.lightsail.createBucket('one');
    fake.lightsail.createBucket('two');
    const all = await lightsail().send(new GetBucketsCommand({}));
    expect(all.buckets!.map((b) => b.name).sort()).toEqual(['one', 'two']);

    const error = await failure(lightsail().send(new GetBucketsCommand({ bucketName: 'three' })));
    expect(error).toBeInstanceOf(NotFoundException);
  });

  test('CreateBucketAccessKey returns the key, its secret and the operation', async () => {
    fake.lightsail.createBucket('photos');
    const out = await lightsail().send(new CreateBucketAccessKeyCommand({ bucketName: 'photos' }));

    const key = out.accessKey!;
    expect(key.accessKeyId).toMatch(/^AKIA[A-Z0-9]{16}$/);
    expect(key.secretAccessKey).toMatch(/^[A-Za-z0-9+/]{40}$/);
    expect(key.status).toBe('Active');
    expect(key.createdAt).toBeInstanceOf(Date);
    expect(key.lastUsed).toEqual({ region: 'N/A', serviceName: 'N/A' });
    expect(out.operations).toHaveLength(1);
    expect(out.operations![0]).toMatchObject({
      resourceName: 'photos',
      resourceType: 'Bucket',
      status: 'Succeeded',
      operationType: 'CreateBucketAccessKey',
    });
    expect(out.operations![0].createdAt).toBeInstanceOf(Date);
    expect(fake.generatedSecrets()).toEqual([key.secretAccessKey]);
    expect(fake.lightsail.keysOf('photos')).toEqual([
      { bucketName: 'photos', accessKeyId: key.accessKeyId, status: 'Active', createdAt: key.createdAt },
    ]);
  });

  test('the secret is returned only by CreateBucketAccessKey', async () => {
    fake.lightsail.createBucket('photos');
    const created = await lightsail().send(new CreateBucketAccessKeyCommand({ bucketName: 'photos' }));
    const listed = await lightsail().send(new GetBucketAccessKeysCommand({ bucketName: 'photos' }));

    expect(listed.accessKeys).toHaveLength(1);
    expect(listed.accessKeys![0].accessKeyId).toBe(created.accessKey!.accessKeyId);
    expect(listed.accessKeys![0].secretAccessKey).toBeUndefined();
    expect(listed.accessKeys![0].createdAt).toBeInstanceOf(Date);
    expect(JSON.stringify(listed)).not.toContain(created.accessKey!.secretAccessKey);
  });

  test('a bucket holds at most two keys; deleting one makes room again', async () => {
    fake.lightsail.createBucket('photos');
    const client = lightsail();
    const first = await client.send(new CreateBucketAccessKeyCommand({ bucketName: 'photos' }));
    await client.send(new CreateBucketAccessKeyCommand({ bucketName: 'photos' }));

    const error = await failure(client.send(new CreateBucketAccessKeyCommand({ bucketName: 'photos' })));
    // The real error type for a third key is unverified; the fake's guess is pinned here.
    expect(error.name).toBe('InvalidInputException');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(fake.lightsail.keysOf('photos')).toHaveLength(2);

    const del = await client.send(
      new DeleteBucketAccessKeyCommand({ bucketName: 'photos', accessKeyId: first.accessKey!.accessKeyId }),
    );
    expect(del.operations![0].operationType).toBe('DeleteBucketAccessKey');
    await client.send(new CreateBucketAccessKeyCommand({ bucketName: 'photos' }));
    expect(fake.lightsail.keysOf('photos')).toHaveLength(2);
  });

  test.each([
    ['CreateBucketAccessKey', () => new CreateBucketAccessKeyCommand({ bucketName: 'missing' })],
    ['DeleteBucketAccessKey', () => new DeleteBucketAccessKeyCommand({ bucketName: 'missing', accessKeyId: 'AKIA0' })],
    ['GetBucketAccessKeys', () => new GetBucketAccessKeysCommand({ bucketName: 'missing' })],
    ['GetBuckets', () => new GetBucketsCommand({ bucketName: 'missing' })],
  ])('%s on a missing bucket is a typed NotFoundException', async (_name, command) => {
    const error = await failure(lightsail().send(command() as any));

    expect(error).toBeInstanceOf(NotFoundException);
    expect(error.name).toBe('NotFoundException');
    expect(error.code).toBe('DoesNotExist');
    expect(error.$fault).toBe('client');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.$metadata.requestId).toMatch(UUID);
  });

  test('deleting a key the bucket does not have is NotFoundException', async () => {
    fake.lightsail.createBucket('photos');
    const error = await failure(
      lightsail().send(new DeleteBucketAccessKeyCommand({ bucketName: 'photos', accessKeyId: 'AKIAAAAAAAAAAAAAAAAA' })),
    );
    expect(error).toBeInstanceOf(NotFoundException);
  });

  test('direct helpers: out-of-band key and bucket deletion', async () => {
    fake.lightsail.createBucket('one');
    fake.lightsail.createBucket('two');
    const client = lightsail();
    const a = await client.send(new CreateBucketAccessKeyCommand({ bucketName: 'one' }));
    await client.send(new CreateBucketAccessKeyCommand({ bucketName: 'two' }));
    expect(
      fake.lightsail
        .allKeys()
        .map((k) => k.bucketName)
        .sort(),
    ).toEqual(['one', 'two']);

    expect(fake.lightsail.deleteKeyOutOfBand('one', a.accessKey!.accessKeyId!)).toBe(true);
    expect(fake.lightsail.keysOf('one')).toEqual([]);

    expect(fake.lightsail.deleteBucket('two')).toBe(true);
    expect(fake.lightsail.bucketExists('two')).toBe(false);
    expect(fake.lightsail.keysOf('two')).toEqual([]);
    expect(fake.lightsail.allKeys()).toEqual([]);
    // The secrets stay on record for leak searches.
    expect(fake.generatedSecrets()).toHaveLength(2);
    expect(() => fake.lightsail.createBucket('Bad_Name')).toThrow(/invalid bucket name/);
  });
});

describe('Secrets Manager', () => {
  async function putValue(secretId: string, value: string, extra: { token?: string; stages?: string[] } = {}) {
    return secretsManager().send(
      new PutSecretValueCommand({
        SecretId: secretId,
        SecretString: value,
        ClientRequestToken: extra.token,
        VersionStages: extra.stages,
      }),
    );
  }

  function stagesOf(secretId: string): Record<string, string[]> {
    return Object.fromEntries(fake.secrets.get(secretId)!.versions.map((v) => [v.versionId, v.stages]));
  }

  test('CreateSecret uses the token as VersionId; GetSecretValue works by name and by ARN', async () => {
    const token = '11111111-1111-4111-8111-111111111111';
    const created = await secretsManager().send(
      new CreateSecretCommand({ Name: 'app/key', SecretString: 'v1', KmsKeyId: 'alias/k', ClientRequestToken: token }),
    );
    expect(created.ARN).toMatch(/^arn:aws:secretsmanager:eu-west-1:111122223333:secret:app\/key-[A-Za-z0-9]{6}$/);
    expect(created).toMatchObject({ Name: 'app/key', VersionId: token });

    for (const id of ['app/key', created.ARN!]) {
      const value = await secretsManager().send(new GetSecretValueCommand({ SecretId: id }));
      expect(value).toMatchObject({ ARN: created.ARN, Name: 'app/key', VersionId: token, SecretString: 'v1' });
      expect(value.VersionStages).toEqual(['AWSCURRENT']);
      expect(value.CreatedDate).toBeInstanceOf(Date);
    }
    expect(fake.secrets.get('app/key')!.kmsKeyId).toBe('alias/k');
  });

  test('CreateSecret on an existing name is ResourceExistsException', async () => {
    fake.secrets.createSecret({ name: 'taken', secretString: 'x' });
    const error = await failure(secretsManager().send(new CreateSecretCommand({ Name: 'taken', SecretString: 'y' })));
    expect(error).toBeInstanceOf(ResourceExistsException);
    expect(fake.secrets.valueAt('taken')).toBe('x');
  });

  test('unknown secret, stage or version is a typed ResourceNotFoundException', async () => {
    const missing = await failure(secretsManager().send(new GetSecretValueCommand({ SecretId: 'nope' })));
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    expect(missing.$fault).toBe('client');
    expect(missing.$metadata.httpStatusCode).toBe(400);
    expect(missing.message).toBe("Secrets Manager can't find the specified secret.");

    fake.secrets.createSecret({ name: 's', secretString: 'x' });
    const noStage = await failure(
      secretsManager().send(new GetSecretValueCommand({ SecretId: 's', VersionStage: 'AWSPENDING' })),
    );
    expect(noStage).toBeInstanceOf(ResourceNotFoundException);
    const noVersion = await failure(
      secretsManager().send(new GetSecretValueCommand({ SecretId: 's', VersionId: 'v-x' })),
    );
    expect(noVersion).toBeInstanceOf(ResourceNotFoundException);
  });

  test('PutSecretValue without VersionStages moves AWSCURRENT and AWSPREVIOUS; older versions lose all labels', async () => {
    await secretsManager().send(new CreateSecretCommand({ Name: 's', SecretString: 'v1', ClientRequestToken: 't1' }));
    const put2 = await putValue('s', 'v2', { token: 't2' });
    expect(put2).toMatchObject({ VersionId: 't2', VersionStages: ['AWSCURRENT'] });
    expect(stagesOf('s')).toEqual({ t1: ['AWSPREVIOUS'], t2: ['AWSCURRENT'] });

    await putValue('s', 'v3', { token: 't3' });
    expect(stagesOf('s')).toEqual({ t1: [], t2: ['AWSPREVIOUS'], t3: ['AWSCURRENT'] });
    expect(fake.secrets.valueAt('s')).toBe('v3');
    expect(fake.secrets.valueAt('s', 'AWSPREVIOUS')).toBe('v2');

    // A deprecated version stays readable by its id.
    const old = await secretsManager().send(new GetSecretValueCommand({ SecretId: 's', VersionId: 't1' }));
    expect(old).toMatchObject({ SecretString: 'v1', VersionStages: [] });
  });

  test('PutSecretValue with a token: same value is a no-op retry, another value fails', async () => {
    await secretsManager().send(new CreateSecretCommand({ Name: 's', SecretString: 'v1', ClientRequestToken: 't1' }));
    await putValue('s', 'v2', { token: 't2' });
    await putValue('s', 'v3', { token: 't3' });

    // Replaying t2 changes nothing, even though it is no longer current.
    const replay = await putValue('s', 'v2', { token: 't2' });
    expect(replay).toMatchObject({ VersionId: 't2', VersionStages: ['AWSPREVIOUS'] });
    expect(stagesOf('s')).toEqual({ t1: [], t2: ['AWSPREVIOUS'], t3: ['AWSCURRENT'] });

    const conflict = await failure(putValue('s', 'other', { token: 't2' }));
    // Verified against AWS (moto's aws_verified test_put_different_secret_value_with_same_token).
    expect(conflict).toBeInstanceOf(ResourceExistsException);
    expect(fake.secrets.get('s')!.versions).toHaveLength(3);
  });

  test('the SDK fills ClientRequestToken with a uuid that becomes the VersionId', async () => {
    fake.secrets.createSecret({ name: 's', secretString: 'v1' });
    const out = await putValue('s', 'v2');
    expect(out.VersionId).toMatch(UUID);
    expect(fake.requests.at(-1)!.input.ClientRequestToken).toBe(out.VersionId);
  });

  test('PutSecretValue with VersionStages moves only those labels', async () => {
    await secretsManager().send(new CreateSecretCommand({ Name: 's', SecretString: 'v1', ClientRequestToken: 't1' }));
    const pending = await putValue('s', 'v2', { token: 't2', stages: ['AWSPENDING'] });
    expect(pending.VersionStages).toEqual(['AWSPENDING']);
    expect(stagesOf('s')).toEqual({ t1: ['AWSCURRENT'], t2: ['AWSPENDING'] });

    // A label sits on one version only.
    await putValue('s', 'v3', { token: 't3', stages: ['AWSPENDING'] });
    expect(stagesOf('s')).toEqual({ t1: ['AWSCURRENT'], t2: [], t3: ['AWSPENDING'] });

    // Naming AWSCURRENT explicitly also moves AWSPREVIOUS.
    await putValue('s', 'v4', { token: 't4', stages: ['AWSCURRENT', 'custom'] });
    expect(stagesOf('s')).toEqual({ t1: ['AWSPREVIOUS'], t2: [], t3: ['AWSPENDING'], t4: ['AWSCURRENT', 'custom'] });
  });

  test('UpdateSecretVersionStage needs RemoveFromVersionId to take a label from another version', async () => {
    await secretsManager().send(new CreateSecretCommand({ Name: 's', SecretString: 'v1', ClientRequestToken: 't1' }));
    await putValue('s', 'v2', { token: 't2', stages: ['AWSPENDING'] });
    const sm = secretsManager();

    const refused = await failure(
      sm.send(
        new UpdateSecretVersionStageCommand({ SecretId: 's', VersionStage: 'AWSCURRENT', MoveToVersionId: 't2' }),
      ),
    );
    expect(refused).toBeInstanceOf(InvalidParameterException);
    expect(stagesOf('s')).toEqual({ t1: ['AWSCURRENT'], t2: ['AWSPENDING'] });

    const wrongSource = await failure(
      sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: 's',
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: 't2',
          RemoveFromVersionId: 't2',
        }),
      ),
    );
    expect(wrongSource).toBeInstanceOf(InvalidParameterException);

    // The rotation finishSecret step: AWSCURRENT moves, AWSPREVIOUS follows to the old current.
    const moved = await sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 's',
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: 't2',
        RemoveFromVersionId: 't1',
      }),
    );
    expect(moved).toMatchObject({ Name: 's', ARN: fake.secrets.get('s')!.arn });
    expect(stagesOf('s')).toEqual({ t1: ['AWSPREVIOUS'], t2: ['AWSPENDING', 'AWSCURRENT'] });

    // A label can be removed on its own, but AWSCURRENT only moved.
    await sm.send(
      new UpdateSecretVersionStageCommand({ SecretId: 's', VersionStage: 'AWSPENDING', RemoveFromVersionId: 't2' }),
    );
    expect(stagesOf('s')).toEqual({ t1: ['AWSPREVIOUS'], t2: ['AWSCURRENT'] });
    const removeCurrent = await failure(
      sm.send(
        new UpdateSecretVersionStageCommand({ SecretId: 's', VersionStage: 'AWSCURRENT', RemoveFromVersionId: 't2' }),
      ),
    );
    expect(removeCurrent).toBeInstanceOf(InvalidParameterException);

    // Moving a label that no version holds needs no RemoveFromVersionId.
    await sm.send(
      new UpdateSecretVersionStageCommand({ SecretId: 's', VersionStage: 'AWSPENDING', MoveToVersionId: 't1' }),
    );
    expect(stagesOf('s')).toEqual({ t1: ['AWSPREVIOUS', 'AWSPENDING'], t2: ['AWSCURRENT'] });
  });

  test('ListSecretVersionIds hides deprecated versions unless asked, and pages', async () => {
    await secretsManager().send(new CreateSecretCommand({ Name: 's', SecretString: 'v1', ClientRequestToken: 't1' }));
    await putValue('s', 'v2', { token: 't2' });
    await putValue('s', 'v3', { token: 't3' });
    const sm = secretsManager();

    const staged = await sm.send(new ListSecretVersionIdsCommand({ SecretId: 's' }));
    expect(staged.Name).toBe('s');
    expect(staged.Versions!.map((v) => v.VersionId)).toEqual(['t2', 't3']);
    expect(staged.Versions![0].CreatedDate).toBeInstanceOf(Date);
    expect(staged.NextToken).toBeUndefined();

    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await sm.send(
        new ListSecretVersionIdsCommand({
          SecretId: 's',
          IncludeDeprecated: true,
          MaxResults: 2,
          NextToken: nextToken,
        }),
      );
      expect(page.Versions!.length).toBeLessThanOrEqual(2);
      seen.push(...page.Versions!.map((v) => `${v.VersionId}:${v.VersionStages!.join('+')}`));
      nextToken = page.NextToken;
    } while (nextToken);
    expect(seen).toEqual(['t1:', 't2:AWSPREVIOUS', 't3:AWSCURRENT']);
  });

  test('DescribeSecret reports KMS key and staged versions', async () => {
    const arn = fake.secrets.createSecret({
      name: 's',
      secretString: 'v1',
      kmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/k',
    });
    await putValue('s', 'v2', { token: 't2', stages: ['AWSPENDING'] });
    const out = await secretsManager().send(new DescribeSecretCommand({ SecretId: arn }));

    expect(out).toMatchObject({ ARN: arn, Name: 's', KmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/k' });
    expect(out.DeletedDate).toBeUndefined();
    expect(out.CreatedDate).toBeInstanceOf(Date);
    expect(Object.values(out.VersionIdsToStages!).sort()).toEqual([['AWSCURRENT'], ['AWSPENDING']]);
    expect(out.VersionIdsToStages!.t2).toEqual(['AWSPENDING']);
  });

  test('DeleteSecret with a recovery window marks the secret; it refuses use until restored', async () => {
    const arn = fake.secrets.createSecret({ name: 's', secretString: 'v1' });
    const sm = secretsManager();
    const before = Date.now();
    const deleted = await sm.send(new DeleteSecretCommand({ SecretId: 's', RecoveryWindowInDays: 7 }));
    expect(deleted).toMatchObject({ ARN: arn, Name: 's' });
    expect(deleted.DeletionDate!.getTime()).toBeGreaterThanOrEqual(before + 7 * 24 * 3600 * 1000 - 1000);

    const described = await sm.send(new DescribeSecretCommand({ SecretId: 's' }));
    expect(described.DeletedDate).toBeInstanceOf(Date);

    const read = await failure(sm.send(new GetSecretValueCommand({ SecretId: arn })));
    expect(read).toBeInstanceOf(InvalidRequestException);
    expect(read.message).toBe("You can't perform this operation on the secret because it was marked for deletion.");
    for (const call of [
      putValue('s', 'v2'),
      sm.send(new UpdateSecretVersionStageCommand({ SecretId: 's', VersionStage: 'X', MoveToVersionId: 'y' })),
      sm.send(new ListSecretVersionIdsCommand({ SecretId: 's' })),
      sm.send(new DeleteSecretCommand({ SecretId: 's' })),
    ]) {
      expect(await failure(call)).toBeInstanceOf(InvalidRequestException);
    }

    const recreate = await failure(sm.send(new CreateSecretCommand({ Name: 's', SecretString: 'new' })));
    expect(recreate).toBeInstanceOf(InvalidRequestException);
    expect(recreate.message).toBe(
      "You can't create this secret because a secret with this name is already scheduled for deletion.",
    );

    const restored = await sm.send(new RestoreSecretCommand({ SecretId: arn }));
    expect(restored).toMatchObject({ ARN: arn, Name: 's' });
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 's' }))).SecretString).toBe('v1');
    expect((await sm.send(new DescribeSecretCommand({ SecretId: 's' }))).DeletedDate).toBeUndefined();
  });

  test('DeleteSecret: force removes at once (the name a while later), even a missing secret; force plus a window is invalid', async () => {
    const arn = fake.secrets.createSecret({ name: 's', secretString: 'v1' });
    const sm = secretsManager();

    const both = await failure(
      sm.send(new DeleteSecretCommand({ SecretId: 's', ForceDeleteWithoutRecovery: true, RecoveryWindowInDays: 7 })),
    );
    expect(both).toBeInstanceOf(InvalidParameterException);
    expect(fake.secrets.get('s')).toBeDefined();

    const tooShort = await failure(sm.send(new DeleteSecretCommand({ SecretId: 's', RecoveryWindowInDays: 3 })));
    expect(tooShort).toBeInstanceOf(InvalidParameterException);

    const forced = await sm.send(new DeleteSecretCommand({ SecretId: arn, ForceDeleteWithoutRecovery: true }));
    expect(forced).toMatchObject({ ARN: arn, Name: 's' });
    expect(forced.DeletionDate).toBeInstanceOf(Date);
    expect(await failure(sm.send(new DescribeSecretCommand({ SecretId: 's' })))).toBeInstanceOf(
      ResourceNotFoundException,
    );

    const again = await sm.send(new DeleteSecretCommand({ SecretId: arn, ForceDeleteWithoutRecovery: true }));
    expect(again.DeletionDate).toBeInstanceOf(Date);
    expect(await failure(sm.send(new DeleteSecretCommand({ SecretId: 'gone' })))).toBeInstanceOf(
      ResourceNotFoundException,
    );

    // The deletion completes asynchronously: until it has, the name is still taken.
    const tooSoon = await failure(sm.send(new CreateSecretCommand({ Name: 's', SecretString: 'v2' })));
    expect(tooSoon).toBeInstanceOf(InvalidRequestException);
    expect(tooSoon.message).toContain('already scheduled for deletion');

    // Then the name is free again, under a new ARN; the old ARN does not reach it.
    fake.secrets.finishDeletions();
    const recreated = await sm.send(new CreateSecretCommand({ Name: 's', SecretString: 'v2' }));
    expect(recreated.ARN).not.toBe(arn);
    expect(await failure(sm.send(new GetSecretValueCommand({ SecretId: arn })))).toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  test('a force-deleted secret scheduled for deletion is gone too', async () => {
    fake.secrets.createSecret({ name: 's', secretString: 'v1' });
    fake.secrets.scheduleDeletionOutOfBand('s');
    await secretsManager().send(new DeleteSecretCommand({ SecretId: 's', ForceDeleteWithoutRecovery: true }));
    expect(fake.secrets.get('s')).toBeUndefined();
  });

  test('direct helpers expose full state', () => {
    const arn = fake.secrets.createSecret({ name: 'a', secretString: 'x', kmsKeyId: 'k' });
    fake.secrets.createSecret({ name: 'b', secretString: 'y' });

    const state = fake.secrets.get(arn)!;
    expect(state).toMatchObject({ arn, name: 'a', kmsKeyId: 'k' });
    expect(state.versions).toEqual([
      {
        versionId: expect.stringMatching(UUID),
        secretString: 'x',
        stages: ['AWSCURRENT'],
        createdDate: expect.any(Date),
        kmsKeyId: 'k',
      },
    ]);
    // get() hands out a copy: changing it does not change the fake.
    state.versions[0].stages.length = 0;
    expect(fake.secrets.valueAt('a')).toBe('x');

    expect(fake.secrets.all().map((s) => s.name)).toEqual(['a', 'b']);
    fake.secrets.scheduleDeletionOutOfBand('b');
    expect(fake.secrets.get('b')!.deletedDate).toBeInstanceOf(Date);
    expect(fake.secrets.forceDelete('b')).toBe(true);
    expect(fake.secrets.forceDelete('b')).toBe(false);
    expect(fake.secrets.valueAt('b')).toBeUndefined();
  });
});

describe('errors the SDK does not model', () => {
  test('an unknown __type becomes the base exception named after it', async () => {
    fake.lightsail.createBucket('photos');
    fake.faults.inject({
      service: 'lightsail',
      kind: 'error',
      error: { status: 400, type: 'OperationFailure', code: 'DoesNotExist', message: 'Bucket DoesNotExist' },
    });
    const lsError = await failure(lightsail().send(new GetBucketAccessKeysCommand({ bucketName: 'photos' })));
    expect(lsError).toBeInstanceOf(LightsailServiceException);
    expect(lsError).not.toBeInstanceOf(NotFoundException);
    expect(lsError.name).toBe('OperationFailure');
    expect(lsError.code).toBe('DoesNotExist');
    expect(lsError.message).toContain('DoesNotExist');
    expect(lsError.$fault).toBe('client');

    fake.faults.inject({
      service: 'secretsmanager',
      kind: 'error',
      error: { status: 400, type: 'Weird', message: 'odd' },
    });
    const smError = await failure(secretsManager().send(new GetSecretValueCommand({ SecretId: 's' })));
    expect(smError).toBeInstanceOf(SecretsManagerServiceException);
    expect(smError.name).toBe('Weird');
    expect(smError.message).toBe('odd');
  });

  test('__type naming the base exception itself yields an error with no name and no $fault', async () => {
    // A "not found" signalled only by text: matching on error.name would miss it; the message carries it.
    fake.lightsail.createBucket('photos');
    fake.faults.inject({
      service: 'lightsail',
      kind: 'error',
      error: { status: 400, type: 'LightsailServiceException', message: 'Bucket photos DoesNotExist' },
    });
    const error = await failure(lightsail().send(new GetBucketAccessKeysCommand({ bucketName: 'photos' })));
    expect(error).toBeInstanceOf(LightsailServiceException);
    expect(error.name).toBeUndefined();
    expect(error.$fault).toBeUndefined();
    expect(error.message).toBe('Bucket photos DoesNotExist');
    expect(error.$metadata.httpStatusCode).toBe(400);
  });
});

describe('faults', () => {
  beforeEach(() => fake.lightsail.createBucket('photos'));
  const createKey = (client: LightsailClient) =>
    client.send(new CreateBucketAccessKeyCommand({ bucketName: 'photos' }));

  test.each([
    ['throttle', 400],
    ['throttle429', 429],
  ] as const)('%s surfaces as ThrottlingException and changes nothing', async (kind, status) => {
    fake.faults.inject({ service: 'lightsail', operation: 'CreateBucketAccessKey', kind });
    const error = await failure(createKey(lightsail()));

    expect(error).toBeInstanceOf(LightsailServiceException);
    expect(error.name).toBe('ThrottlingException');
    expect(error.$metadata.httpStatusCode).toBe(status);
    expect(fake.lightsail.keysOf('photos')).toEqual([]);
    expect(fake.generatedSecrets()).toEqual([]);
    expect(fake.requests.map((r) => [r.status, r.fault])).toEqual([[status, kind]]);
  });

  test.each(['throttle', 'throttle429', 'serverError', 'drop'] as const)('the SDK retries %s', async (kind) => {
    fake.faults.inject({ service: 'lightsail', kind, times: 2 });
    const out = await createKey(lightsail(3));

    expect(out.$metadata.attempts).toBe(3);
    expect(fake.lightsail.keysOf('photos')).toHaveLength(1);
    expect(fake.requests.map((r) => r.fault)).toEqual([kind, kind, undefined]);
  });

  test('serverError is the modelled server fault of each service', async () => {
    fake.faults.inject({ service: 'lightsail', kind: 'serverError' });
    const lsError = await failure(createKey(lightsail()));
    expect(lsError).toBeInstanceOf(ServiceException);
    expect(lsError.$fault).toBe('server');
    expect(lsError.$metadata.httpStatusCode).toBe(500);

    fake.faults.inject({ service: 'secretsmanager', kind: 'serverError' });
    const smError = await failure(secretsManager().send(new GetSecretValueCommand({ SecretId: 's' })));
    expect(smError).toBeInstanceOf(InternalServiceError);
    expect(smError.$fault).toBe('server');
    expect(smError.$metadata.httpStatusCode).toBe(500);
  });

  test('drop surfaces as a network error with no HTTP status and changes nothing', async () => {
    fake.faults.inject({ service: 'lightsail', kind: 'drop' });
    const error = await failure(createKey(lightsail()));

    // Outside jest the SDK throws the node error itself (name TimeoutError, code ECONNRESET).
    // Under jest that error comes from another realm, so the SDK wraps it in a plain Error
    // without name or code: code under test must not depend on either.
    expect(error.message).toMatch(/socket hang up/);
    expect(error.$metadata.httpStatusCode).toBeUndefined();
    expect(fake.lightsail.keysOf('photos')).toEqual([]);
    expect(fake.requests[0].status).toBe('dropped');
  });

  test('dropAfterCommit: the key exists, the caller sees an error, and a retry makes a second key', async () => {
    fake.faults.inject({ service: 'lightsail', kind: 'dropAfterCommit' });
    expect((await failure(createKey(lightsail()))).message).toMatch(/socket hang up/);
    expect(fake.lightsail.keysOf('photos')).toHaveLength(1);
    expect(fake.generatedSecrets()).toHaveLength(1);

    // CreateBucketAccessKey has no idempotency token: the SDK's own retry makes a second key...
    fake.lightsail.createBucket('other');
    fake.faults.inject({ service: 'lightsail', kind: 'dropAfterCommit' });
    await lightsail(2).send(new CreateBucketAccessKeyCommand({ bucketName: 'other' }));
    expect(fake.lightsail.keysOf('other')).toHaveLength(2);

    // ...or, with one key already there, fails on the limit although a key was created.
    fake.faults.inject({ service: 'lightsail', kind: 'dropAfterCommit' });
    expect((await failure(createKey(lightsail(2)))).name).toBe('InvalidInputException');
    expect(fake.lightsail.keysOf('photos')).toHaveLength(2);
    expect(fake.generatedSecrets()).toHaveLength(4);
  });

  test('dropAfterCommit on PutSecretValue: the SDK retry reuses its token, so no second version', async () => {
    fake.secrets.createSecret({ name: 's', secretString: 'v1' });
    fake.faults.inject({ service: 'secretsmanager', operation: 'PutSecretValue', kind: 'dropAfterCommit' });
    const out = await secretsManager(2).send(new PutSecretValueCommand({ SecretId: 's', SecretString: 'v2' }));

    expect(out.$metadata.attempts).toBe(2);
    expect(fake.secrets.get('s')!.versions).toHaveLength(2);
    expect(fake.secrets.valueAt('s')).toBe('v2');
    const [first, second] = fake.requests.filter((r) => r.operation === 'PutSecretValue');
    expect(first.input.ClientRequestToken).toBe(second.input.ClientRequestToken);
  });

  test('latency delays one call; constant latency delays every call of one service', async () => {
    fake.faults.inject({ service: 'lightsail', operation: 'GetBuckets', kind: 'latency', latencyMs: 150 });
    const started = Date.now();
    await lightsail().send(new GetBucketsCommand({}));
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    await lightsail().send(new GetBucketsCommand({}));

    fake.faults.latency('secretsmanager', 100);
    await failure(secretsManager().send(new GetSecretValueCommand({ SecretId: 's' })));
    await lightsail().send(new GetBucketsCommand({}));

    const durations = fake.requests.map((r) => r.endedAt! - r.startedAt);
    expect(durations[0]).toBeGreaterThanOrEqual(150);
    expect(durations[1]).toBeLessThan(100);
    expect(durations[2]).toBeGreaterThanOrEqual(100);
    expect(durations[3]).toBeLessThan(100);
    expect(fake.requests.map((r) => r.fault)).toEqual(['latency', undefined, undefined, undefined]);
  });

  test('operation, afterCalls and times select which calls a fault hits', async () => {
    fake.faults.inject({ service: 'lightsail', operation: 'GetBuckets', kind: 'throttle', afterCalls: 1, times: 2 });
    const client = lightsail();
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++) {
      await client.send(new GetBucketAccessKeysCommand({ bucketName: 'photos' }));
      outcomes.push(
        await client.send(new GetBucketsCommand({})).then(
          () => 'ok',
          (e) => e.name,
        ),
      );
    }
    expect(outcomes).toEqual(['ok', 'ThrottlingException', 'ThrottlingException', 'ok']);
    expect(fake.faults.pending()).toBe(0);
  });

  test('rateLimit throttles calls beyond the rate of one service', async () => {
    // Two per second: a refill takes 500 ms, far longer than six parallel calls.
    fake.faults.rateLimit('lightsail', 2);
    fake.secrets.createSecret({ name: 's', secretString: 'v' });
    const client = lightsail();
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        client.send(new GetBucketsCommand({})).then(
          () => 'ok',
          (e) => e.name,
        ),
      ),
    );
    expect(results.filter((r) => r === 'ok')).toHaveLength(2);
    expect(results.filter((r) => r === 'ThrottlingException')).toHaveLength(4);
    expect(fake.requests.filter((r) => r.fault === 'rateLimit')).toHaveLength(4);
    // The other service is not limited.
    await Promise.all(
      Array.from({ length: 6 }, () => secretsManager().send(new GetSecretValueCommand({ SecretId: 's' }))),
    );

    fake.faults.rateLimit('lightsail', undefined);
    await Promise.all(Array.from({ length: 6 }, () => client.send(new GetBucketsCommand({}))));
  });

  test('clear() disarms faults; reset() also clears state and the log', async () => {
    fake.faults.inject({ service: 'lightsail', kind: 'throttle', times: 5 });
    fake.faults.latency('lightsail', 1000);
    fake.faults.clear();
    expect(fake.faults.pending()).toBe(0);
    await createKey(lightsail());

    fake.faults.inject({ service: 'lightsail', kind: 'drop' });
    fake.reset();
    expect(fake.requests).toEqual([]);
    expect(fake.generatedSecrets()).toEqual([]);
    expect(fake.lightsail.bucketExists('photos')).toBe(false);
    expect(fake.faults.pending()).toBe(0);
  });
});

describe('observation', () => {
  test('requests are logged in arrival order with the request id the SDK sees', async () => {
    fake.lightsail.createBucket('photos');
    const first = await lightsail().send(new GetBucketsCommand({}));
    const second = await failure(secretsManager().send(new DescribeSecretCommand({ SecretId: 'x' })));

    expect(fake.requests).toEqual([
      expect.objectContaining({
        service: 'lightsail',
        operation: 'GetBuckets',
        status: 200,
        requestId: first.$metadata.requestId,
      }),
      expect.objectContaining({
        service: 'secretsmanager',
        operation: 'DescribeSecret',
        status: 400,
        requestId: second.$metadata.requestId,
        input: { SecretId: 'x' },
      }),
    ]);
    expect(fake.requests[0].startedAt).toBeLessThanOrEqual(fake.requests[0].endedAt!);
  });

  test("the caller's app id reaches the request log through the user agent", async () => {
    const client = new LightsailClient({ ...fake.clientConfig(), userAgentAppId: 'container-7', maxAttempts: 1 });
    setup.track(client);
    await client.send(new GetBucketsCommand({}));
    expect(fake.requests[0].userAgent).toContain('app/container-7');
  });

  test('afterOperation runs after the state change and before the answer is sent', async () => {
    fake.lightsail.createBucket('photos');
    const seen: Array<{ keys: number; answered: boolean }> = [];
    fake.afterOperation = (record, answer) => {
      seen.push({ keys: fake.lightsail.keysOf('photos').length, answered: record.status !== 0 });
      expect((answer as any).accessKey.accessKeyId).toMatch(/^AKIA/);
    };
    await lightsail().send(new CreateBucketAccessKeyCommand({ bucketName: 'photos' }));
    expect(seen).toEqual([{ keys: 1, answered: false }]);
    fake.reset();
    expect(fake.afterOperation).toBeUndefined();
  });
});

describe('environment variables', () => {
  test('clients built with no config reach the fake through AWS_ENDPOINT_URL_* and static credentials', async () => {
    const vars = fake.env();
    expect(Object.keys(vars).sort()).toEqual([
      'AWS_ACCESS_KEY_ID',
      'AWS_ENDPOINT_URL_LIGHTSAIL',
      'AWS_ENDPOINT_URL_SECRETS_MANAGER',
      'AWS_REGION',
      'AWS_SECRET_ACCESS_KEY',
    ]);
    const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
    Object.assign(process.env, vars);
    try {
      fake.lightsail.createBucket('photos');
      fake.secrets.createSecret({ name: 's', secretString: 'v' });
      const ls = new LightsailClient({});
      const sm = new SecretsManagerClient({});
      setup.track(ls, sm);

      const buckets = await ls.send(new GetBucketsCommand({}));
      const value = await sm.send(new GetSecretValueCommand({ SecretId: 's' }));
      expect(buckets.buckets!.map((b) => b.name)).toEqual(['photos']);
      expect(value.SecretString).toBe('v');
      expect(fake.requests.map((r) => r.operation)).toEqual(['GetBuckets', 'GetSecretValue']);
      expect(await ls.config.region()).toBe(fake.region);
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
});
