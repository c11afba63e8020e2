// Pins the Secrets Manager fake's idempotency, rotation, listing and KMS behaviour to aws-facts.md, through the real
// SDK v3 client (and a raw request where the SDK would fill in what the test leaves out).
import {
  CancelRotateSecretCommand,
  CreateSecretCommand,
  DecryptionFailure,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InvalidRequestException,
  ListSecretVersionIdsCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { failure, useFake } from './clients';
import { ROTATION_INCOMPLETE } from './secrets-manager';

const setup = useFake({ region: 'eu-west-1', accountId: '111122223333' });
const fake = () => setup.fake();
const sm = () => setup.secretsManager();

const stagesOf = (id: string) =>
  Object.fromEntries(
    fake()
      .secrets.get(id)!
      .versions.map((v) => [v.versionId, v.stages]),
  );
const put = (id: string, value: string, token: string, stages?: string[]) =>
  sm().send(
    new PutSecretValueCommand({ SecretId: id, SecretString: value, ClientRequestToken: token, VersionStages: stages }),
  );

describe('idempotency and version rules recorded from AWS', () => {
  test('CreateSecret retried with the same token and value answers as the first time; another value fails', async () => {
    const create = (value: string) =>
      sm().send(new CreateSecretCommand({ Name: 's', SecretString: value, ClientRequestToken: 't1' }));
    const first = await create('v1');
    const retry = await create('v1');
    expect(retry).toMatchObject({ ARN: first.ARN, Name: 's', VersionId: 't1' });
    expect(fake().secrets.get('s')!.versions).toHaveLength(1);
    expect(await failure(create('other'))).toBeInstanceOf(ResourceExistsException);
  });

  test('GetSecretValue with a VersionId and a VersionStage that version lacks is InvalidRequestException', async () => {
    await sm().send(new CreateSecretCommand({ Name: 's', SecretString: 'v1', ClientRequestToken: 't1' }));
    await put('s', 'v2', 't2', ['AWSPENDING']);
    const both = (stage: string) =>
      sm().send(new GetSecretValueCommand({ SecretId: 's', VersionId: 't2', VersionStage: stage }));
    expect((await both('AWSPENDING')).SecretString).toBe('v2');
    const mismatch = await failure(both('AWSCURRENT'));
    expect(mismatch).toBeInstanceOf(InvalidRequestException);
    expect(mismatch.message).toBe('You provided a VersionStage that is not associated to the provided VersionId.');
  });

  test("a secret's first version is AWSCURRENT even when the call names only another label", async () => {
    await sm().send(new CreateSecretCommand({ Name: 's' }));
    const out = await put('s', 'v1', 't1', ['AWSPENDING']);
    expect(out.VersionStages).toEqual(['AWSCURRENT', 'AWSPENDING']);
    await put('s', 'v2', 't2', ['custom']);
    expect(stagesOf('s')).toEqual({ t1: ['AWSCURRENT', 'AWSPENDING'], t2: ['custom'] });
  });

  test('PutSecretValue without a ClientRequestToken (a raw request; the SDK fills one in) is InvalidRequestException', async () => {
    fake().secrets.createSecret({ name: 's', secretString: 'v1' });
    const response = await fetch(fake().endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.PutSecretValue' },
      body: JSON.stringify({ SecretId: 's', SecretString: 'v2' }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      __type: 'InvalidRequestException',
      Message: 'You must provide a ClientRequestToken value. We recommend a UUID-type value.',
    });
    expect(fake().secrets.get('s')!.versions).toHaveLength(1);
  });
});

describe('rotation: RotateSecret, the rotation function and CancelRotateSecret', () => {
  test('RotateSecret makes an empty AWSPENDING version with the token; the function fills it; DescribeSecret shows the settings', async () => {
    const arn = fake().secrets.createSecret({ name: 's', secretString: 'v1' });
    const token = fake().secrets.rotateSecret(arn, {
      lambdaArn: 'arn:aws:lambda:eu-west-1:111122223333:function:rotate',
      scheduleExpression: 'rate(30 days)',
      immediately: true,
      token: 'r1',
    });
    expect(token).toBe('r1');
    const listed = await sm().send(new ListSecretVersionIdsCommand({ SecretId: arn }));
    expect(listed.Versions!.find((v) => v.VersionId === 'r1')!.VersionStages).toEqual(['AWSPENDING']);
    const empty = await failure(sm().send(new GetSecretValueCommand({ SecretId: arn, VersionId: 'r1' })));
    expect(empty).toBeInstanceOf(ResourceNotFoundException);

    // The createSecret step, as AWS's rotation function templates write it.
    await put(arn, 'v2', 'r1', ['AWSPENDING']);
    expect(
      (await sm().send(new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSPENDING' }))).SecretString,
    ).toBe('v2');
    const described = await sm().send(new DescribeSecretCommand({ SecretId: arn }));
    expect(described).toMatchObject({
      RotationEnabled: true,
      RotationLambdaARN: 'arn:aws:lambda:eu-west-1:111122223333:function:rotate',
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
    });
  });

  test('while AWSPENDING is on a version other than AWSCURRENT, RotateSecret fails; finishing or removing the label ends that', async () => {
    const arn = fake().secrets.createSecret({ name: 's', secretString: 'v1' });
    fake().secrets.rotateSecret(arn, { immediately: true, token: 'r1' });
    expect(() => fake().secrets.rotateSecret(arn, { immediately: true })).toThrow(ROTATION_INCOMPLETE);
    expect(() => fake().secrets.rotateSecret(arn, { immediately: false })).toThrow(ROTATION_INCOMPLETE);

    // Removing AWSPENDING from the stuck version (CancelRotateSecret's advice) lets a rotation start again.
    await sm().send(
      new UpdateSecretVersionStageCommand({ SecretId: arn, VersionStage: 'AWSPENDING', RemoveFromVersionId: 'r1' }),
    );
    fake().secrets.rotateSecret(arn, { immediately: true, token: 'r2' });
    await put(arn, 'v2', 'r2', ['AWSPENDING']);
    const current = Object.entries(stagesOf('s')).find(([, stages]) => stages.includes('AWSCURRENT'))![0];
    // finishSecret: AWSPENDING ends up on the current version, which is a complete rotation.
    await sm().send(
      new UpdateSecretVersionStageCommand({
        SecretId: arn,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: 'r2',
        RemoveFromVersionId: current,
      }),
    );
    expect(() => fake().secrets.rotateSecret(arn, { immediately: true, token: 'r3' })).not.toThrow();
  });

  test('RotateSecret with RotateImmediately false labels a copy of the current value AWSPENDING for the test, then the label goes', async () => {
    const arn = fake().secrets.createSecret({ name: 's', secretString: 'v1' });
    const token = fake().secrets.rotateSecret(arn, { immediately: false });
    const tested = await sm().send(new GetSecretValueCommand({ SecretId: arn, VersionId: token }));
    expect(tested).toMatchObject({ SecretString: 'v1', VersionStages: ['AWSPENDING'] });
    fake().secrets.endRotationTest(arn, token);
    expect(stagesOf('s')[token]).toEqual([]);
    expect(fake().secrets.valueAt(arn)).toBe('v1');
  });

  test('CancelRotateSecret turns rotation off and names the incomplete version, whose AWSPENDING stays', async () => {
    const arn = fake().secrets.createSecret({ name: 's', secretString: 'v1' });
    fake().secrets.rotateSecret(arn, { immediately: true, token: 'r1' });
    const cancelled = await sm().send(new CancelRotateSecretCommand({ SecretId: arn }));
    expect(cancelled).toMatchObject({ ARN: arn, Name: 's', VersionId: 'r1' });
    expect((await sm().send(new DescribeSecretCommand({ SecretId: arn }))).RotationEnabled).toBe(false);
    expect(stagesOf('s').r1).toEqual(['AWSPENDING']);
    expect(() => fake().secrets.rotateSecret(arn, { immediately: true })).toThrow(ROTATION_INCOMPLETE);
  });
});

test('ListSecrets filters by name prefix and tag key prefix, returns tags, pages, and leaves out secrets scheduled for deletion', async () => {
  const tags = { 'lightsail-bucket-access-key:grace-period': '3600' };
  for (const name of ['stack/a/1', 'stack/a/2', 'stack/a/3', 'stack/b/1'])
    fake().secrets.createSecret({ name, secretString: 'x', tags });
  fake().secrets.createSecret({ name: 'stack/a/untagged', secretString: 'x' });
  fake().secrets.scheduleDeletionOutOfBand('stack/a/3');
  const filters = [
    { Key: 'name' as const, Values: ['stack/a/'] },
    { Key: 'tag-key' as const, Values: ['lightsail-bucket-access-key:grace'] },
  ];
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sm().send(new ListSecretsCommand({ Filters: filters, MaxResults: 1, NextToken: nextToken }));
    expect(page.SecretList!.length).toBeLessThanOrEqual(1);
    for (const entry of page.SecretList!) {
      names.push(entry.Name!);
      expect(entry.Tags).toEqual([{ Key: 'lightsail-bucket-access-key:grace-period', Value: '3600' }]);
    }
    nextToken = page.NextToken;
  } while (nextToken);
  expect(names).toEqual(['stack/a/1', 'stack/a/2']);
  // Prefixes match case-sensitively.
  const upper = await sm().send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['STACK/'] }] }));
  expect(upper.SecretList).toEqual([]);
  const planned = await sm().send(new ListSecretsCommand({ Filters: filters, IncludePlannedDeletion: true }));
  expect(planned.SecretList!.map((s) => s.Name)).toEqual(['stack/a/1', 'stack/a/2', 'stack/a/3']);
});

describe('KMS keys of secret versions', () => {
  test('a new KMS key re-encrypts the AWSCURRENT, AWSPENDING and AWSPREVIOUS versions only', async () => {
    const [oldKey, newKey] = [fake().kms.createKey(), fake().kms.createKey()];
    const arn = fake().secrets.createSecret({ name: 's', secretString: 'v1', kmsKeyId: oldKey });
    await put(arn, 'v2', 't2');
    await put(arn, 'v3', 't3');
    await put(arn, 'v4', 't4', ['AWSPENDING']);
    fake().secrets.changeKmsKey(arn, newKey);
    const keys = Object.fromEntries(
      fake()
        .secrets.get(arn)!
        .versions.map((v) => [v.secretString, v.kmsKeyId]),
    );
    expect(keys).toEqual({ v1: oldKey, v2: newKey, v3: newKey, v4: newKey });
    const listed = await sm().send(new ListSecretVersionIdsCommand({ SecretId: arn, IncludeDeprecated: true }));
    expect(listed.Versions!.map((v) => v.KmsKeyIds)).toEqual([[oldKey], [newKey], [newKey], [newKey]]);
  });

  test('a version whose key is pending deletion cannot be read; the others can', async () => {
    const [oldKey, newKey] = [fake().kms.createKey(), fake().kms.createKey()];
    const arn = fake().secrets.createSecret({ name: 's', secretString: 'v1', kmsKeyId: oldKey });
    const first = fake().secrets.get(arn)!.versions[0].versionId;
    await put(arn, 'v2', 't2');
    await put(arn, 'v3', 't3');
    fake().secrets.changeKmsKey(arn, newKey);
    fake().kms.scheduleKeyDeletion(oldKey);
    const old = await failure(sm().send(new GetSecretValueCommand({ SecretId: arn, VersionId: first })));
    expect(old).toBeInstanceOf(DecryptionFailure);
    expect((await sm().send(new GetSecretValueCommand({ SecretId: arn }))).SecretString).toBe('v3');
  });

  test('whether a caller may use a customer-managed key is asked of the permission hook, with the caller and the secret', async () => {
    const key = fake().kms.createKey();
    const arn = fake().secrets.createSecret({ name: 's', secretString: 'v1', kmsKeyId: key });
    const asked: string[] = [];
    fake().kms.permits = (caller, use, keyArn, secretArn) => {
      asked.push(`${use} ${keyArn === key} ${secretArn === arn} ${caller.includes('aws-sdk-js')}`);
      return false;
    };
    const read = await failure(sm().send(new GetSecretValueCommand({ SecretId: arn })));
    // The SDK does not model AccessDeniedException for Secrets Manager: it arrives as the base exception, by name.
    expect(read).toMatchObject({ name: 'AccessDeniedException', message: 'Access to KMS is not allowed' });
    expect(await failure(put(arn, 'v2', 't2'))).toMatchObject({ name: 'AccessDeniedException' });
    expect(asked).toEqual(['kms:Decrypt true true true', 'kms:GenerateDataKey true true true']);
    fake().kms.permits = () => true;
    expect((await sm().send(new GetSecretValueCommand({ SecretId: arn }))).SecretString).toBe('v1');
  });
});
