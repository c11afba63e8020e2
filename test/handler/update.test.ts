/**
 * Update: within its lineage nothing changes; a move to a new lineage (a changed serial or bucket) is a replacement
 * that never deletes what the old lineage uses; a rollback to the old lineage adopts its key again and deletes the
 * keys of the lineage CloudFormation gave up on.
 */
import {
  CreateBucketAccessKeyCommand,
  DeleteBucketAccessKeyCommand,
  GetBucketAccessKeysCommand,
  GetBucketsCommand,
  InvalidInputException,
  NotFoundException,
} from '@aws-sdk/client-lightsail';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
} from '@aws-sdk/client-secrets-manager';
import { SECRET_ARN_V0, SECRET_ARN_V1, keyProperties } from './events';
import {
  PLACEHOLDER,
  givenBucketKeys,
  givenLineage,
  givenSecretHolds,
  invoke,
  lightsail,
  meta,
  mockAwsAndCheckForLeaks,
  newKey,
  record,
  secrets,
  updateRequest,
} from './invoke';

mockAwsAndCheckForLeaks();

describe('Update', () => {
  describe('within its lineage', () => {
    test('an update within the lineage changes nothing: no key created, written or deleted', async () => {
      const existing = newKey();
      givenSecretHolds(record(existing));
      givenBucketKeys(existing.accessKeyId);
      const props = keyProperties({ RemovalPolicy: 'retain' });

      const { answer } = await invoke(updateRequest(SECRET_ARN_V0, props, keyProperties()));

      expect(lightsail).not.toHaveReceivedCommand(CreateBucketAccessKeyCommand);
      expect(lightsail).not.toHaveReceivedCommand(DeleteBucketAccessKeyCommand);
      expect(secrets).not.toHaveReceivedCommand(PutSecretValueCommand);
      expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: SECRET_ARN_V0 });
      expect(answer.Data!.AccessKeyId).toBe(existing.accessKeyId);
    });

    test('an update that adopts the key of a bucket given by name does not read the endpoint', async () => {
      const existing = newKey();
      givenSecretHolds(record(existing));
      // The resource holds the lineage already (its owner label), so nothing is written.
      secrets
        .on(DescribeSecretCommand)
        .resolves({ VersionIdsToStages: { 'v-current': ['AWSCURRENT', 'lineage:owner:MediaKey78E57B5A'] } });
      givenBucketKeys(existing.accessKeyId);

      await invoke(
        updateRequest(
          SECRET_ARN_V0,
          keyProperties({ Endpoint: '', RemovalPolicy: 'retain' }),
          keyProperties({ Endpoint: '' }),
        ),
      );

      expect(lightsail).not.toHaveReceivedCommand(GetBucketsCommand);
      // The secret's current value and labels (retired? who holds it?), and the bucket's keys, in parallel.
      expect(lightsail.calls().length + secrets.calls().length).toBe(3);
    });
  });

  describe('to a new lineage (a changed serial or bucket)', () => {
    test('a new serial (a new secret) is a replacement: a new key, a new physical id, nothing deleted', async () => {
      const old = newKey();
      givenSecretHolds(record(old));
      givenSecretHolds(PLACEHOLDER, SECRET_ARN_V1);
      givenBucketKeys(old.accessKeyId);

      const { answer } = await invoke(
        updateRequest(SECRET_ARN_V0, keyProperties({ SecretArn: SECRET_ARN_V1 }), keyProperties()),
      );

      expect(lightsail).toHaveReceivedCommandTimes(CreateBucketAccessKeyCommand, 1);
      expect(lightsail).not.toHaveReceivedCommand(DeleteBucketAccessKeyCommand);
      expect(secrets.commandCalls(PutSecretValueCommand)[0].args[0].input.SecretId).toBe(SECRET_ARN_V1);
      expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: SECRET_ARN_V1 });
      expect(answer.Data!.AccessKeyId).not.toBe(old.accessKeyId);
    });

    test('a replacement at the limit fails before anything changes, keeping the current physical id', async () => {
      // Given a bucket whose two slots hold the current key and another lineage's
      const old = newKey();
      givenSecretHolds(record(old));
      givenSecretHolds(PLACEHOLDER, SECRET_ARN_V1);
      givenBucketKeys(old.accessKeyId, 'AKIAOTHERLINEAGE');
      secrets.on(ListSecretVersionIdsCommand, { SecretId: SECRET_ARN_V0 }).resolves({ Versions: [{ VersionId: 'c' }] });
      secrets
        .on(GetSecretValueCommand, { SecretId: SECRET_ARN_V0, VersionId: 'c' })
        .resolves({ SecretString: record(old) });

      // When the key moves to a new serial
      const { answer } = await invoke(
        updateRequest(SECRET_ARN_V0, keyProperties({ SecretArn: SECRET_ARN_V1 }), keyProperties()),
      );

      // Then nothing is created, and the resource keeps its physical id
      expect(lightsail).not.toHaveReceivedCommand(CreateBucketAccessKeyCommand);
      expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: SECRET_ARN_V0 });
      expect(answer.Reason).toContain('replacing a key (a changed bucket or serial) needs a free slot');
    });

    test("a replacement of a rotated key ends its previous key's grace period to free the slot; the current key stays", async () => {
      // Given a rotated lineage whose current and previous keys fill the bucket
      const current = newKey();
      const rotatedOut = newKey();
      givenSecretHolds(record(current));
      givenSecretHolds(PLACEHOLDER, SECRET_ARN_V1);
      secrets
        .on(ListSecretVersionIdsCommand, { SecretId: SECRET_ARN_V0 })
        .resolves({ Versions: [{ VersionId: 'c' }, { VersionId: 'p' }] });
      secrets
        .on(GetSecretValueCommand, { SecretId: SECRET_ARN_V0, VersionId: 'c' })
        .resolves({ SecretString: record(current) });
      secrets
        .on(GetSecretValueCommand, { SecretId: SECRET_ARN_V0, VersionId: 'p' })
        .resolves({ SecretString: record(rotatedOut) });
      givenBucketKeys(current.accessKeyId, rotatedOut.accessKeyId);
      lightsail.on(DeleteBucketAccessKeyCommand).callsFake(() => {
        givenBucketKeys(current.accessKeyId);
        return {};
      });

      // When the key moves to a new serial
      const { answer, log } = await invoke(
        updateRequest(SECRET_ARN_V0, keyProperties({ SecretArn: SECRET_ARN_V1 }), keyProperties()),
      );

      // Then the previous key goes to make room; the current key stays
      expect(lightsail.commandCalls(DeleteBucketAccessKeyCommand).map((c) => c.args[0].input.accessKeyId)).toEqual([
        rotatedOut.accessKeyId,
      ]);
      expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: SECRET_ARN_V1 });
      expect(String(log.notes)).toContain(`Deleted ${rotatedOut.accessKeyId}, not current in ${SECRET_ARN_V0}`);
    });
    test("a replacement while the old lineage's rotation has created its key and not recorded it yet: it waits for the record, then deletes that key", async () => {
      // Given a rotating lineage whose rotation's new key is on the bucket, its AWSPENDING version still empty
      const current = newKey();
      const pending = newKey();
      givenSecretHolds(record(current));
      givenSecretHolds(PLACEHOLDER, SECRET_ARN_V1);
      secrets.on(ListSecretVersionIdsCommand, { SecretId: SECRET_ARN_V0 }).resolves({
        Versions: [
          { VersionId: 'c', VersionStages: ['AWSCURRENT'] },
          { VersionId: 't', VersionStages: ['AWSPENDING'] },
        ],
      });
      secrets
        .on(GetSecretValueCommand, { SecretId: SECRET_ARN_V0, VersionId: 'c' })
        .resolves({ SecretString: record(current) });
      // ...which the rotation writes a moment later
      secrets
        .on(GetSecretValueCommand, { SecretId: SECRET_ARN_V0, VersionId: 't' })
        .rejectsOnce(Object.assign(new Error('no value yet'), { name: 'ResourceNotFoundException' }))
        .resolves({ SecretString: record(pending) });
      givenBucketKeys(current.accessKeyId, pending.accessKeyId);
      lightsail.on(DeleteBucketAccessKeyCommand).callsFake(() => {
        givenBucketKeys(current.accessKeyId);
        return {};
      });

      // When the key moves to a new serial
      const { answer } = await invoke(
        updateRequest(SECRET_ARN_V0, keyProperties({ SecretArn: SECRET_ARN_V1 }), keyProperties()),
      );

      // Then the rotation's key goes once recorded, and the move gets its slot; the current key stays
      expect(lightsail.commandCalls(DeleteBucketAccessKeyCommand).map((c) => c.args[0].input.accessKeyId)).toEqual([
        pending.accessKeyId,
      ]);
      expect(lightsail).toHaveReceivedCommandTimes(CreateBucketAccessKeyCommand, 1);
      expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: SECRET_ARN_V1 });
    });

    test("a replacement whose freed slot the old lineage's rotation takes: it deletes the rotation's key once recorded, and creates again", async () => {
      // Given a rotated lineage whose current and previous keys fill the bucket
      const current = newKey();
      const rotatedOut = newKey();
      const pending = newKey();
      givenSecretHolds(record(current));
      givenSecretHolds(PLACEHOLDER, SECRET_ARN_V1);
      const versions = [
        { VersionId: 'c', VersionStages: ['AWSCURRENT'] },
        { VersionId: 'p', VersionStages: ['AWSPREVIOUS'] },
      ];
      secrets.on(ListSecretVersionIdsCommand, { SecretId: SECRET_ARN_V0 }).callsFake(() => ({ Versions: versions }));
      for (const [id, key] of [
        ['c', current],
        ['p', rotatedOut],
        ['t', pending],
      ] as const) {
        secrets
          .on(GetSecretValueCommand, { SecretId: SECRET_ARN_V0, VersionId: id })
          .resolves({ SecretString: record(key) });
      }
      givenBucketKeys(current.accessKeyId, rotatedOut.accessKeyId);
      // ...and a rotation that deletes the previous key first, then creates and records its own in the slot freed
      lightsail.on(DeleteBucketAccessKeyCommand, { accessKeyId: rotatedOut.accessKeyId }).callsFake(() => {
        givenBucketKeys(current.accessKeyId, pending.accessKeyId);
        versions.push({ VersionId: 't', VersionStages: ['AWSPENDING'] });
        throw new NotFoundException({ message: 'gone', ...meta } as any);
      });
      lightsail.on(DeleteBucketAccessKeyCommand, { accessKeyId: pending.accessKeyId }).callsFake(() => {
        givenBucketKeys(current.accessKeyId);
        return {};
      });
      let refused = false;
      lightsail.on(CreateBucketAccessKeyCommand).callsFake(() => {
        if (!refused && (refused = true)) throw new InvalidInputException({ message: 'limit', ...meta } as any);
        return { accessKey: { ...newKey(), status: 'Active' } };
      });

      // When the key moves to a new serial
      const { answer } = await invoke(
        updateRequest(SECRET_ARN_V0, keyProperties({ SecretArn: SECRET_ARN_V1 }), keyProperties()),
      );

      // Then the move gets the slot at its second creation; the current key stays
      expect(lightsail.commandCalls(DeleteBucketAccessKeyCommand).map((c) => c.args[0].input.accessKeyId)).toEqual([
        rotatedOut.accessKeyId,
        pending.accessKeyId,
      ]);
      expect(lightsail).toHaveReceivedCommandTimes(CreateBucketAccessKeyCommand, 2);
      expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: SECRET_ARN_V1 });
    });

    test('a replacement on a bucket filled by a key no version records, with no rotation under way, fails at once', async () => {
      // Given a lineage with its current key, and a key made outside the stack in the bucket's other slot
      const current = newKey();
      givenSecretHolds(record(current));
      givenSecretHolds(PLACEHOLDER, SECRET_ARN_V1);
      secrets.on(ListSecretVersionIdsCommand, { SecretId: SECRET_ARN_V0 }).resolves({
        Versions: [{ VersionId: 'c', VersionStages: ['AWSCURRENT'] }],
      });
      secrets
        .on(GetSecretValueCommand, { SecretId: SECRET_ARN_V0, VersionId: 'c' })
        .resolves({ SecretString: record(current) });
      givenBucketKeys(current.accessKeyId, newKey().accessKeyId);

      // When the key moves to a new serial
      const { answer } = await invoke(
        updateRequest(SECRET_ARN_V0, keyProperties({ SecretArn: SECRET_ARN_V1 }), keyProperties()),
      );

      // Then nothing is deleted or created, and the bucket is listed no more than the move needs
      expect(lightsail).not.toHaveReceivedCommand(DeleteBucketAccessKeyCommand);
      expect(lightsail).not.toHaveReceivedCommand(CreateBucketAccessKeyCommand);
      expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: SECRET_ARN_V0 });
      expect(answer.Reason).toContain('needs a free slot');
    });
  });

  describe('rolling back from a lineage CloudFormation recorded as failed', () => {
    test.each([
      ['the new physical id', SECRET_ARN_V1, []],
      // The old physical id looks like the rollback of a failed move: the replacement's keys go now, not at cleanup.
      ['the old physical id', SECRET_ARN_V0, ['replacement']],
    ])(
      'a rollback back to the old lineage, carrying %s, adopts the old key untouched',
      async (_, physicalId, deleted) => {
        // Given an old lineage and a replacement lineage, each recording a key
        const old = newKey();
        const replacement = newKey();
        givenSecretHolds(record(old));
        givenSecretHolds(record(replacement), SECRET_ARN_V1);
        secrets
          .on(ListSecretVersionIdsCommand, { SecretId: SECRET_ARN_V1 })
          .resolves({ Versions: [{ VersionId: 'r' }] });
        secrets
          .on(GetSecretValueCommand, { SecretId: SECRET_ARN_V1, VersionId: 'r' })
          .resolves({ SecretString: record(replacement) });
        givenBucketKeys(old.accessKeyId, replacement.accessKeyId);

        // When the rollback Update back to the old lineage arrives
        const { answer } = await invoke(
          updateRequest(physicalId, keyProperties(), keyProperties({ SecretArn: SECRET_ARN_V1 })),
        );

        // Then the old key is adopted untouched
        expect(lightsail).not.toHaveReceivedCommand(CreateBucketAccessKeyCommand);
        expect(secrets).not.toHaveReceivedCommandWith(PutSecretValueCommand, { SecretId: SECRET_ARN_V0 });
        expect(lightsail.commandCalls(DeleteBucketAccessKeyCommand).map((c) => c.args[0].input.accessKeyId)).toEqual(
          deleted.map(() => replacement.accessKeyId),
        );
        expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: SECRET_ARN_V0 });
        expect(answer.Data!.AccessKeyId).toBe(old.accessKeyId);
      },
    );

    test('deletes the keys of the attempted lineage, whose secret CloudFormation deletes without a Delete here', async () => {
      // Given a key recorded in the attempted lineage, which CloudFormation never recorded
      const old = newKey();
      const attempted = newKey();
      givenLineage(SECRET_ARN_V0, old);
      givenLineage(SECRET_ARN_V1, attempted);
      givenBucketKeys(old.accessKeyId, attempted.accessKeyId);

      // When the rollback Update arrives: under the old physical id (the failed update kept it), restoring the old
      // properties
      const { answer, log } = await invoke(
        updateRequest(SECRET_ARN_V0, keyProperties(), keyProperties({ SecretArn: SECRET_ARN_V1 })),
      );

      // Then that key goes, and the old lineage answers with its key
      expect(lightsail.commandCalls(DeleteBucketAccessKeyCommand).map((c) => c.args[0].input.accessKeyId)).toEqual([
        attempted.accessKeyId,
      ]);
      expect(answer).toMatchObject({
        Status: 'SUCCESS',
        PhysicalResourceId: SECRET_ARN_V0,
        Data: { AccessKeyId: old.accessKeyId },
      });
      expect(String(log.notes)).toContain(`Rolled back from ${SECRET_ARN_V1}`);
    });

    test('frees the slot first, so a restored lineage whose key is gone can replace it', async () => {
      const gone = newKey();
      const attempted = newKey();
      givenLineage(SECRET_ARN_V0, gone);
      givenLineage(SECRET_ARN_V1, attempted);
      // The bucket is full until the attempted lineage's key is deleted.
      lightsail
        .on(GetBucketAccessKeysCommand)
        .resolves({ accessKeys: [{ accessKeyId: 'AKIALEFTOVER' }, { accessKeyId: attempted.accessKeyId }] });
      lightsail.on(DeleteBucketAccessKeyCommand).callsFake(() => {
        lightsail.on(GetBucketAccessKeysCommand).resolves({ accessKeys: [{ accessKeyId: 'AKIALEFTOVER' }] });
        return {};
      });

      const { answer, log } = await invoke(
        updateRequest(SECRET_ARN_V0, keyProperties(), keyProperties({ SecretArn: SECRET_ARN_V1 })),
      );

      expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: SECRET_ARN_V0 });
      expect(log).toMatchObject({ outcome: 'replaced-missing-key' });
    });

    test('restores the lineage as it was when its key is gone and no slot is free, rather than get stuck', async () => {
      const gone = newKey();
      givenLineage(SECRET_ARN_V0, gone);
      givenLineage(SECRET_ARN_V1, newKey());
      givenBucketKeys('AKIARETAINEDONE', 'AKIARETAINEDTWO');

      const { answer, log } = await invoke(
        updateRequest(SECRET_ARN_V0, keyProperties(), keyProperties({ SecretArn: SECRET_ARN_V1 })),
      );

      expect(answer).toMatchObject({
        Status: 'SUCCESS',
        PhysicalResourceId: SECRET_ARN_V0,
        Data: { AccessKeyId: gone.accessKeyId },
      });
      expect(log.outcome).toBe('restored');
      expect(String(log.notes)).toContain(
        `Restored the lineage with its recorded key ${gone.accessKeyId}, which could not be replaced`,
      );
    });

    test('a rollback carrying the newer physical id back to a lineage whose key is gone restores it too', async () => {
      const gone = newKey();
      const newer = newKey();
      givenLineage(SECRET_ARN_V0, gone);
      givenLineage(SECRET_ARN_V1, newer);
      givenBucketKeys(newer.accessKeyId, 'AKIARETAINED');

      const { answer, log } = await invoke(
        updateRequest(SECRET_ARN_V1, keyProperties(), keyProperties({ SecretArn: SECRET_ARN_V1 })),
      );

      expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: SECRET_ARN_V0 });
      expect(log).toMatchObject({ outcome: 'restored' });
    });

    test('keeps them when that lineage is retained', async () => {
      // Given an attempted lineage whose removal policy was retain
      const old = newKey();
      givenLineage(SECRET_ARN_V0, old);
      givenLineage(SECRET_ARN_V1, newKey());
      givenBucketKeys(old.accessKeyId);

      // When the rollback Update arrives
      const { answer } = await invoke(
        updateRequest(
          SECRET_ARN_V0,
          keyProperties(),
          keyProperties({ SecretArn: SECRET_ARN_V1, RemovalPolicy: 'retain' }),
        ),
      );

      // Then its key stays
      expect(lightsail).not.toHaveReceivedCommand(DeleteBucketAccessKeyCommand);
      expect(answer.Status).toBe('SUCCESS');
    });

    test('a forward update never touches the lineage it leaves', async () => {
      const old = newKey();
      givenLineage(SECRET_ARN_V0, old);
      givenSecretHolds(PLACEHOLDER, SECRET_ARN_V1);
      givenBucketKeys(old.accessKeyId);

      const { answer } = await invoke(
        updateRequest(SECRET_ARN_V0, keyProperties({ SecretArn: SECRET_ARN_V1 }), keyProperties()),
      );

      expect(lightsail).not.toHaveReceivedCommand(DeleteBucketAccessKeyCommand);
      expect(secrets).not.toHaveReceivedCommand(ListSecretVersionIdsCommand);
      expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: SECRET_ARN_V1 });
    });
  });
});
