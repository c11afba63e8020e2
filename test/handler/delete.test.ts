/**
 * Delete: the lineage is closed (retired, every writer's token claimed) and every key any version of its secret
 * recorded is deleted, once; keys and buckets already gone count as done; RETAIN, and what is not this stack's, are
 * left alone; an id CloudFormation made up, or a secret deleted out of band, still finds what to delete.
 */
import {
  AccessDeniedException,
  DeleteBucketAccessKeyCommand,
  LightsailServiceException,
  NotFoundException,
} from '@aws-sdk/client-lightsail';
import {
  GetSecretValueCommand,
  InvalidRequestException,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  RestoreSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { RETIRED_MARKER, lineageToken, replacementToken, retiredToken } from '../../lambda/shared/key-secret';
import { RETIRED_STAGE } from '../../lib/contract';
import { MADE_UP_PHYSICAL_ID, SECRET_ARN_V0, keyProperties } from './events';
import {
  PLACEHOLDER,
  answers,
  deleteRequest,
  givenBucketKeys,
  givenVersions,
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

describe('Delete', () => {
  describe('closing the lineage', () => {
    test('deletes every key recorded in any version of the secret, once each', async () => {
      const current = newKey();
      const previous = newKey();
      givenVersions(record(current), record(previous), PLACEHOLDER, record(current));

      const { answer, log } = await invoke(deleteRequest(SECRET_ARN_V0));

      expect(lightsail.commandCalls(DeleteBucketAccessKeyCommand).map((c) => c.args[0].input)).toEqual([
        { bucketName: 'media-assets', accessKeyId: current.accessKeyId },
        { bucketName: 'media-assets', accessKeyId: previous.accessKeyId },
      ]);
      expect(secrets).toHaveReceivedCommandWith(ListSecretVersionIdsCommand, { IncludeDeprecated: true });
      expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: SECRET_ARN_V0 });
      expect(log).toMatchObject({
        outcome: 'deleted',
        deletedKeyIds: [current.accessKeyId, previous.accessKeyId],
      });
    });

    test('first retires the lineage, so that a late first-key write fails instead of leaving a key behind', async () => {
      givenVersions(PLACEHOLDER);

      const { answer } = await invoke(deleteRequest(SECRET_ARN_V0));

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
      expect(answer.Status).toBe('SUCCESS');
    });

    test("claims each key's replacement token before deleting the key, so a late healing write fails", async () => {
      const key = newKey();
      givenVersions(record(key));

      await invoke(deleteRequest(SECRET_ARN_V0));

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
      await invoke(deleteRequest(SECRET_ARN_V0));

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

      const { answer } = await invoke(deleteRequest(SECRET_ARN_V0));

      expect(lightsail).not.toHaveReceivedCommand(DeleteBucketAccessKeyCommand);
      expect(answer).toMatchObject({
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
      const { answer } = await invoke(deleteRequest(SECRET_ARN_V0));

      // Then it deleted what it read, and fails rather than claim success with a key it has not read
      expect(lightsail).toHaveReceivedCommandTimes(DeleteBucketAccessKeyCommand, 5);
      expect(answer.Status).toBe('FAILED');
      expect(answer.Reason).toContain('Keys kept being recorded');
    });

    test('when every token was free, one read of the versions is enough', async () => {
      givenVersions(record(newKey()), record(newKey()));
      await invoke(deleteRequest(SECRET_ARN_V0));
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

      await invoke(deleteRequest(SECRET_ARN_V0));

      expect(lightsail).toHaveReceivedCommandTimes(DeleteBucketAccessKeyCommand, 2);
    });
  });

  describe('keys and buckets already gone', () => {
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
      const { answer, log } = await invoke(deleteRequest(SECRET_ARN_V0));

      // Then it succeeds
      expect(answer.Status).toBe('SUCCESS');
      expect(log).toMatchObject({ outcome: 'deleted', deletedKeyIds: [] });
    });

    test('fails on any other error, so CloudFormation can retry the delete', async () => {
      givenVersions(record(newKey()));
      lightsail
        .on(DeleteBucketAccessKeyCommand)
        .rejects(new AccessDeniedException({ message: 'denied', ...meta } as any));

      const { answer } = await invoke(deleteRequest(SECRET_ARN_V0));

      expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: SECRET_ARN_V0 });
      expect(answer.Reason).toBe('AccessDeniedException: denied');
    });
  });

  describe('what it leaves alone', () => {
    test('RETAIN keeps the key: no AWS call at all', async () => {
      const { answer, log } = await invoke(deleteRequest(SECRET_ARN_V0, keyProperties({ RemovalPolicy: 'retain' })));

      expect(lightsail.calls()).toHaveLength(0);
      expect(secrets.calls()).toHaveLength(0);
      expect(answer.Status).toBe('SUCCESS');
      expect(log).toMatchObject({ outcome: 'retained' });
    });

    test('neither an id nor properties naming a key secret of this stack: a no-op', async () => {
      const notOurs = keyProperties({ SecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:app-AbCdEf' });
      await invoke(deleteRequest(MADE_UP_PHYSICAL_ID, notOurs));
      await invoke(deleteRequest(notOurs.SecretArn, notOurs));

      expect(lightsail.calls()).toHaveLength(0);
      expect(secrets.calls()).toHaveLength(0);
      expect(answers().map((r) => r.Status)).toEqual(['SUCCESS', 'SUCCESS']);
    });
  });

  describe('after a Create CloudFormation gave up on, or a secret deleted out of band', () => {
    test('under an id CloudFormation made up, it closes the lineage the properties name and deletes its key', async () => {
      // Given a Create CloudFormation gave up on, whose still-running handler recorded its key
      const recorded = newKey();
      givenVersions(PLACEHOLDER, record(recorded));
      secrets
        .on(PutSecretValueCommand, { ClientRequestToken: lineageToken(SECRET_ARN_V0) })
        .rejects(new ResourceExistsException({ message: 'exists', ...meta }));

      // When CloudFormation sends the rollback's Delete under an id of its own
      const { answer, log } = await invoke(deleteRequest(MADE_UP_PHYSICAL_ID));

      // Then the key goes, and the answer carries CloudFormation's id
      expect(lightsail).toHaveReceivedCommandWith(DeleteBucketAccessKeyCommand, { accessKeyId: recorded.accessKeyId });
      expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: MADE_UP_PHYSICAL_ID });
      expect(log).toMatchObject({ outcome: 'deleted', deletedKeyIds: [recorded.accessKeyId] });
      expect(String(log.notes)).toContain('closed the lineage its properties name');
    });

    test('a secret already deleted cannot say which keys to delete: it succeeds and lists what is left', async () => {
      secrets
        .on(ListSecretVersionIdsCommand)
        .rejects(
          new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", ...meta }),
        );
      givenBucketKeys('AKIALEFTOVER');

      const { answer, log } = await invoke(deleteRequest(SECRET_ARN_V0));

      expect(answer.Status).toBe('SUCCESS');
      expect(lightsail).not.toHaveReceivedCommand(DeleteBucketAccessKeyCommand);
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

      const { answer, log } = await invoke(deleteRequest(SECRET_ARN_V0));

      expect(secrets).toHaveReceivedCommandWith(RestoreSecretCommand, { SecretId: SECRET_ARN_V0 });
      expect(lightsail).toHaveReceivedCommandWith(DeleteBucketAccessKeyCommand, { accessKeyId: key.accessKeyId });
      expect(answer.Status).toBe('SUCCESS');
      expect(String(log.notes)).toContain('restored it to read its keys');
    });
  });
});
