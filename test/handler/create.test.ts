/**
 * Create: the first key of a lineage, made and recorded in its secret; a request delivered more than once; a
 * recorded key gone; a full bucket; Lightsail failing; and the requests that get no key, each with what to do.
 */
import {
  AccessDeniedException,
  CreateBucketAccessKeyCommand,
  DeleteBucketAccessKeyCommand,
  GetBucketAccessKeysCommand,
  GetBucketsCommand,
  GetOperationCommand,
  InvalidInputException,
  LightsailServiceException,
  NotFoundException,
} from '@aws-sdk/client-lightsail';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
} from '@aws-sdk/client-secrets-manager';
import { lineageToken, replacementToken } from '../../lambda/shared/key-secret';
import { RETIRED_STAGE } from '../../lib/contract';
import { type DeliveredProperties, SECRET_ARN_V0, keyProperties } from './events';
import {
  PLACEHOLDER,
  answers,
  createRequest,
  deleteRequest,
  generated,
  givenBucketKeys,
  givenSecretHolds,
  invoke,
  lightsail,
  markedForDeletion,
  meta,
  mockAwsAndCheckForLeaks,
  newKey,
  record,
  secrets,
} from './invoke';

mockAwsAndCheckForLeaks();

function writtenSecretStrings(): string[] {
  return secrets.commandCalls(PutSecretValueCommand).map((c) => c.args[0].input.SecretString ?? '');
}

describe('Create', () => {
  describe('the first key of a lineage', () => {
    test('creates a key, writes it into the secret, and answers with the key id but no secret', async () => {
      // Given a lineage whose secret holds the placeholder, on a bucket with no key
      givenSecretHolds(PLACEHOLDER);
      givenBucketKeys();
      const event = createRequest();

      // When the Create arrives
      const { answer } = await invoke(event);

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

      expect(answer).toMatchObject({
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
      expect(Object.keys(answer.Data!).sort()).toEqual(['AccessKeyId', 'BucketName', 'SecretArn']);
    });

    test('reads the endpoint from GetBuckets when the construct did not pass one', async () => {
      givenSecretHolds(PLACEHOLDER);
      givenBucketKeys();
      lightsail
        .on(GetBucketsCommand)
        .resolves({ buckets: [{ name: 'media-assets', url: 'https://from-get-buckets/' }] });

      const { answer } = await invoke(createRequest(keyProperties({ Endpoint: '' })));

      expect(JSON.parse(writtenSecretStrings()[0])).toMatchObject({
        endpoint: 'https://s3.eu-west-1.amazonaws.com',
        bucketUrl: 'https://from-get-buckets/',
      });
      expect(answer.Status).toBe('SUCCESS');
    });

    test('when the secret cannot be written, the new key is deleted before failing', async () => {
      givenSecretHolds(PLACEHOLDER);
      givenBucketKeys();
      secrets.on(PutSecretValueCommand).rejects(new ResourceExistsException({ message: 'version exists', ...meta }));

      const { answer } = await invoke(createRequest());

      const createdId = JSON.parse(writtenSecretStrings()[0]).accessKeyId;
      expect(lightsail).toHaveReceivedCommandWith(DeleteBucketAccessKeyCommand, {
        bucketName: 'media-assets',
        accessKeyId: createdId,
      });
      expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: SECRET_ARN_V0 });
      expect(answer.Reason).toMatch(
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

      const { answer } = await invoke(createRequest());

      const createdId = JSON.parse(writtenSecretStrings()[0]).accessKeyId;
      expect(answer.Status).toBe('FAILED');
      expect(answer.Reason).toContain(
        `aws lightsail delete-bucket-access-key --bucket-name media-assets --access-key-id ${createdId}`,
      );
    });
  });

  describe('delivered more than once', () => {
    test('a retried request finds its key in the secret and creates no second key', async () => {
      const existing = newKey();
      givenSecretHolds(record(existing));
      givenBucketKeys(existing.accessKeyId);
      const event = createRequest();

      await invoke(event);
      await invoke(event);

      expect(lightsail).not.toHaveReceivedCommand(CreateBucketAccessKeyCommand);
      expect(secrets).not.toHaveReceivedCommand(PutSecretValueCommand);
      expect(answers().map((r) => [r.Status, r.PhysicalResourceId, r.Data?.AccessKeyId])).toEqual([
        ['SUCCESS', SECRET_ARN_V0, existing.accessKeyId],
        ['SUCCESS', SECRET_ARN_V0, existing.accessKeyId],
      ]);
    });

    test("a lineage's first key is written with a token of the lineage: every delivery of every request competes", async () => {
      givenSecretHolds(PLACEHOLDER);
      givenBucketKeys();
      const event = createRequest();

      await invoke(event);
      await invoke(event);
      await invoke(createRequest());

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

      const { answer } = await invoke(createRequest());

      const ownKey = JSON.parse(writtenSecretStrings()[0]).accessKeyId;
      expect(lightsail).toHaveReceivedCommandWith(DeleteBucketAccessKeyCommand, { accessKeyId: ownKey });
      expect(answer).toMatchObject({ Status: 'SUCCESS', Data: { AccessKeyId: winner.accessKeyId } });
    });

    test("a delivery refused for the slot another delivery took answers with that delivery's key", async () => {
      const winner = newKey();
      givenBucketKeys('AKIAOTHERLINEAGE', winner.accessKeyId);
      secrets
        .on(GetSecretValueCommand, { SecretId: SECRET_ARN_V0, VersionStage: 'AWSCURRENT' })
        .resolvesOnce({ SecretString: PLACEHOLDER, VersionId: 'placeholder' })
        .resolves({ SecretString: record(winner), VersionId: lineageToken(SECRET_ARN_V0) });

      const { answer } = await invoke(createRequest());

      expect(lightsail).not.toHaveReceivedCommand(CreateBucketAccessKeyCommand);
      expect(answer).toMatchObject({ Status: 'SUCCESS', Data: { AccessKeyId: winner.accessKeyId } });
    });

    test('a key written by something else than a delivery of this lineage is not adopted on failure', async () => {
      givenBucketKeys('AKIAONE', 'AKIATWO');
      secrets
        .on(GetSecretValueCommand, { SecretId: SECRET_ARN_V0, VersionStage: 'AWSCURRENT' })
        .resolvesOnce({ SecretString: PLACEHOLDER, VersionId: 'placeholder' })
        .resolves({ SecretString: record(newKey()), VersionId: 'written-by-hand' });

      const { answer } = await invoke(createRequest());

      expect(answer.Status).toBe('FAILED');
    });
    test("a delivery whose DescribeSecret predates the other delivery's write waits for the operation the written version names", async () => {
      // Given another delivery's key, recorded with the operation still creating it, and not listed yet
      const other = newKey();
      secrets.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { placeholder: ['AWSCURRENT'] } });
      secrets.on(GetSecretValueCommand, { SecretId: SECRET_ARN_V0, VersionStage: 'AWSCURRENT' }).resolves({
        SecretString: record(other),
        VersionId: 'written',
        VersionStages: ['AWSCURRENT', 'lineage:creating:op-1'],
      });
      let applied = false;
      lightsail.on(GetOperationCommand).callsFake(() => {
        applied = true;
        return { operation: { id: 'op-1', status: 'Succeeded', isTerminal: true } };
      });
      lightsail
        .on(GetBucketAccessKeysCommand)
        .callsFake(() => ({ accessKeys: applied ? [{ accessKeyId: other.accessKeyId, status: 'Active' }] : [] }));

      const { answer } = await invoke(createRequest());

      // Then it answers with that key once Lightsail created it, and creates none
      expect(lightsail).not.toHaveReceivedCommand(CreateBucketAccessKeyCommand);
      expect(answer).toMatchObject({ Status: 'SUCCESS', Data: { AccessKeyId: other.accessKeyId } });
    });
  });

  describe('on a lineage that records a key', () => {
    test('a recorded key deleted out of band is replaced, and the log says so', async () => {
      const gone = newKey();
      givenSecretHolds(record(gone));
      givenBucketKeys();

      const { log } = await invoke(createRequest());

      expect(lightsail).toHaveReceivedCommandTimes(CreateBucketAccessKeyCommand, 1);
      expect(secrets).toHaveReceivedCommandWith(PutSecretValueCommand, {
        ClientRequestToken: replacementToken(SECRET_ARN_V0, gone.accessKeyId),
      });
      expect(log.outcome).toBe('replaced-missing-key');
      expect(String(log.notes)).toContain(`The recorded key ${gone.accessKeyId} no longer exists`);
    });

    test('a secret that records a key of another bucket is an error, not an overwrite', async () => {
      givenSecretHolds(record(newKey(), 'other-bucket'));
      givenBucketKeys();

      const { answer } = await invoke(createRequest());

      expect(lightsail).not.toHaveReceivedCommand(CreateBucketAccessKeyCommand);
      expect(answer.Reason).toContain('records a key of bucket "other-bucket", not "media-assets"');
    });
  });

  describe('on a full bucket', () => {
    test('at the two-key limit it fails before creating anything, naming the keys and the fix', async () => {
      givenSecretHolds(PLACEHOLDER);
      givenBucketKeys('AKIAFIRST', 'AKIASECOND');

      const { answer } = await invoke(createRequest());

      expect(lightsail).not.toHaveReceivedCommand(CreateBucketAccessKeyCommand);
      const reason = answer.Reason!;
      expect(reason).toContain('Bucket "media-assets" already has 2 access keys, Lightsail\'s limit per bucket');
      expect(reason).toContain(
        'AKIAFIRST (Active, created 2026-01-01T00:00:00.000Z, last used 2026-06-01T00:00:00.000Z)',
      );
      expect(reason).toContain('AKIASECOND (Active, created 2026-01-02T00:00:00.000Z, never used)');
      expect(reason).toContain(
        'aws lightsail delete-bucket-access-key --bucket-name media-assets --access-key-id <id>',
      );
      expect(reason).toContain('Nothing was changed.');
    });

    test('when another key takes the last slot meanwhile, the refusal is explained by the slots', async () => {
      givenSecretHolds(PLACEHOLDER);
      lightsail
        .on(GetBucketAccessKeysCommand)
        .resolvesOnce({ accessKeys: [{ accessKeyId: 'AKIAFIRST' }] })
        .resolves({ accessKeys: [{ accessKeyId: 'AKIAFIRST' }, { accessKeyId: 'AKIARACER' }] });
      lightsail
        .on(CreateBucketAccessKeyCommand)
        .rejects(new InvalidInputException({ message: 'limit', ...meta } as any));

      const { answer } = await invoke(createRequest());

      expect(answer.Reason).toContain('Another key took the last free slot');
      expect(answer.Reason).toContain('AKIARACER');
    });
  });

  describe('when Lightsail fails to create', () => {
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
      const { answer } = await invoke(createRequest());

      // Then the creation is tried again and succeeds
      expect(lightsail).toHaveReceivedCommandTimes(CreateBucketAccessKeyCommand, 2);
      expect(answer.Status).toBe('SUCCESS');
    });

    test('a creation whose answer was lost is retried when the bucket shows no new key', async () => {
      givenSecretHolds(PLACEHOLDER);
      givenBucketKeys();
      lightsail
        .on(CreateBucketAccessKeyCommand)
        .rejectsOnce(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }))
        .callsFake(() => ({ accessKey: { ...newKey(), status: 'Active' } }));

      const { answer } = await invoke(createRequest());

      expect(lightsail).toHaveReceivedCommandTimes(CreateBucketAccessKeyCommand, 2);
      expect(answer.Status).toBe('SUCCESS');
    });

    test('a creation whose answer was lost after the key appeared is not repeated: the error names the key', async () => {
      // Given a creation whose answer is lost, after which the bucket lists a new key
      // Regression: the SDK used to retry CreateBucketAccessKey itself, making a second key after a lost answer.
      givenSecretHolds(PLACEHOLDER);
      lightsail
        .on(GetBucketAccessKeysCommand)
        .resolvesOnce({ accessKeys: [] })
        .resolves({
          accessKeys: [
            { accessKeyId: 'AKIALOSTANSWER', status: 'Active', createdAt: new Date(Date.UTC(2026, 10, 28)) },
          ],
        });
      lightsail.on(CreateBucketAccessKeyCommand).rejects(
        new LightsailServiceException({
          name: 'ServiceException',
          $fault: 'server',
          $metadata: { httpStatusCode: 500 },
        }),
      );

      // When the Create runs
      const { answer } = await invoke(createRequest());

      // Then no second key is created, and the error names the one that appeared
      expect(lightsail).toHaveReceivedCommandTimes(CreateBucketAccessKeyCommand, 1);
      const reason = answer.Reason!;
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

      const { answer } = await invoke(createRequest());

      expect(answer.Reason).toBe(
        'Could not create an access key for bucket "media-assets": AccessDeniedException: not allowed',
      );
    });
  });

  describe('refused, with what to do', () => {
    test('a missing bucket gives an error that says what to do, not an SDK dump', async () => {
      givenSecretHolds(PLACEHOLDER);
      lightsail
        .on(GetBucketAccessKeysCommand)
        .rejects(new NotFoundException({ message: 'bucket DoesNotExist', ...meta } as any));

      const { answer } = await invoke(createRequest());

      expect(answer.Reason).toBe(
        'Lightsail bucket "media-assets" does not exist in eu-west-1. If the bucket is defined in this app, pass the ' +
          'lightsail.CfnBucket as `bucket` (which also deploys the key after the bucket); otherwise check `bucketName`.',
      );
    });

    test('a secret scheduled for deletion out of band is an error that says how to restore it', async () => {
      secrets.on(GetSecretValueCommand).rejects(markedForDeletion());
      givenBucketKeys();

      const { answer } = await invoke(createRequest());

      expect(lightsail).not.toHaveReceivedCommand(CreateBucketAccessKeyCommand);
      expect(answer.Reason).toBe(
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

      const { answer } = await invoke(createRequest());

      expect(lightsail).not.toHaveReceivedCommand(CreateBucketAccessKeyCommand);
      expect(answer.Status).toBe('FAILED');
      expect(answer.Reason).toContain('was closed by a Delete of its resource');
    });

    test('a secret that no longer exists gets no key, and the error says how to give the key a new one', async () => {
      secrets
        .on(GetSecretValueCommand)
        .rejects(
          new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", ...meta }),
        );
      givenBucketKeys();

      const { answer } = await invoke(createRequest());

      expect(lightsail).not.toHaveReceivedCommand(CreateBucketAccessKeyCommand);
      expect(answer.Reason).toContain(`The key's secret ${SECRET_ARN_V0} does not exist`);
      expect(answer.Reason).toContain('increment `serial`');
    });

    test("a secret that is not one of this stack's key secrets gets no key: no stack Delete could ever remove it", async () => {
      const elsewhere = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:app-AbCdEf';

      const { answer } = await invoke(createRequest(keyProperties({ SecretArn: elsewhere })));

      expect(lightsail.calls()).toHaveLength(0);
      expect(secrets.calls()).toHaveLength(0);
      expect(answer.Status).toBe('FAILED');
      expect(answer.Reason).toContain(`Secret ${elsewhere} is not one of this stack's key secrets`);
    });

    test('properties without a secret fail with a placeholder physical id that a later Delete ignores', async () => {
      const event = createRequest({ BucketName: 'media-assets' } as DeliveredProperties);

      const failedCreate = await invoke(event);
      expect(failedCreate.answer).toMatchObject({
        Status: 'FAILED',
        Reason: 'Property SecretArn is missing or empty.',
        PhysicalResourceId: `failed-${event.RequestId}`,
      });

      const laterDelete = await invoke(deleteRequest(`failed-${event.RequestId}`, {} as DeliveredProperties));
      expect(laterDelete.answer.Status).toBe('SUCCESS');
      expect(lightsail.calls()).toHaveLength(0);
      expect(secrets.calls()).toHaveLength(0);
    });

    test('an unknown removal policy is rejected', async () => {
      // A template written by hand could send anything: the handler checks what the types promise.
      const props = { ...keyProperties(), RemovalPolicy: 'snapshot' } as unknown as DeliveredProperties;
      const { answer } = await invoke(createRequest(props));
      expect(answer.Reason).toBe('Property RemovalPolicy must be "destroy" or "retain", got "snapshot".');
    });
  });
});
