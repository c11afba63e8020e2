/**
 * Secrets Manager rotation of a key secret, in the four steps of its rotation contract, and the end of the grace
 * period of a rotated-out key. Every step can run again (Secrets Manager retries, Lambda duplicates) with the same
 * effect.
 *
 * A bucket has two key slots. A rotated key lineage holds the current key and, during its grace period, the
 * previous one. So createSecret deletes every key of the secret but the current one (the previous key's grace ends
 * at the next rotation at the latest) before it creates the pending key.
 *
 * createSecret is a writer of the lineage's keys (lineage.ts): it creates nothing once the lineage is retired or
 * rotation is turned off (the secret lost its rotation tag), writes only into the version RotateSecret made for this
 * rotation, which a closer can claim, and deletes its own key if the lineage was retired while it wrote.
 */
import { GRACE_PERIOD_TAG, type KeySecretValue, ROTATION_TAG, type RotationStep } from '../../lib/contract';
import * as aws from '../shared/aws';
import { KeyError, type KeyCreationContext, createAndRecord } from '../shared/key-creation';
import { RETIRED_MARKER, hasFreeSlot, noFreeSlotMessage, parseKeySecret } from '../shared/key-secret';
import {
  AWSCURRENT,
  AWSPENDING,
  creatingOperation,
  deleteKeys,
  holderOf,
  isRetired,
  keysIn,
  lineageClosed,
  readVersions,
} from '../shared/lineage';

export interface StepResult {
  readonly outcome: string;
  readonly accessKeyId?: string;
  readonly deletedKeyIds?: readonly string[];
}

export async function runStep(
  step: RotationStep,
  secretArn: string,
  token: string,
  invocation: KeyCreationContext,
): Promise<StepResult> {
  const description = await aws.describeSecret(secretArn);
  const stages = description.stages[token] ?? [];
  if (stages.includes(AWSCURRENT)) return { outcome: 'already-current' };
  if (isRetired(description)) {
    throw new KeyError(`The lineage of secret ${secretArn} was closed (its key was deleted): nothing to rotate.`);
  }
  if (!(ROTATION_TAG in description.tags)) {
    throw new KeyError(`Secret ${secretArn}: rotation is turned off for this key (its \`rotation\` prop was removed).`);
  }
  if (!stages.includes(AWSPENDING)) {
    throw new KeyError(`Rotation ${token} of secret ${secretArn} was ended: its version is not AWSPENDING any more.`);
  }
  switch (step) {
    case 'createSecret':
      return createPending(secretArn, token, invocation);
    case 'setSecret':
      // A Lightsail key works once it exists: there is nothing to set in another system.
      return { outcome: 'nothing-to-set' };
    case 'testSecret':
      return {
        outcome: 'tested',
        accessKeyId: (await livePendingKey(secretArn, token, invocation.deadline)).accessKeyId,
      };
    case 'finishSecret':
      return finish(secretArn, token, holderOf(description, AWSCURRENT), invocation.deadline);
  }
}

/** Creates the pending key, unless this rotation's version holds one already. */
async function createPending(secretArn: string, token: string, invocation: KeyCreationContext): Promise<StepResult> {
  const [{ versions, current }, written] = await Promise.all([
    readVersions(secretArn),
    aws.readSecretVersion(secretArn, token),
  ]);
  if (written?.secretString !== undefined) {
    return {
      outcome: 'pending-exists',
      accessKeyId: (await livePendingKey(secretArn, token, invocation.deadline)).accessKeyId,
    };
  }
  if (!current) {
    throw new KeyError(`Secret ${secretArn} holds no access key yet: its BucketAccessKey has not been deployed.`);
  }
  // Every recorded key but the current one, and but a key another delivery of this step may just have written.
  const rotatedOut = keysIn(versions.filter((v) => v.versionId !== token));
  const deletedKeyIds = await deleteKeys(
    rotatedOut.filter((k) => k.accessKeyId !== current.accessKeyId),
    invocation.deadline,
  );
  const keys = await aws.listBucketKeys(current.bucketName);
  if (!hasFreeSlot(keys)) {
    throw new KeyError(
      noFreeSlotMessage(
        current.bucketName,
        keys,
        `Rotating secret ${secretArn} needs a slot for the new key beside the current one; the other key is not ` +
          "this secret's. A rotating BucketAccessKey needs its bucket to itself.",
      ),
    );
  }
  let accessKeyId: string;
  try {
    ({ accessKeyId } = await createAndRecord(
      secretArn,
      current.bucketName,
      token,
      keys,
      {
        ...invocation,
        region: current.region || invocation.region,
        // The bucket's URL: records written before bucketUrl existed hold it as their endpoint.
        endpoint: async () => current.bucketUrl ?? current.endpoint,
      },
      [AWSPENDING],
    ));
  } catch (error) {
    // Another delivery of this step may have recorded its key with this token first.
    const winner = parseKeySecret((await aws.readSecretVersion(secretArn, token).catch(() => undefined))?.secretString);
    if (winner) return { outcome: 'pending-exists', accessKeyId: winner.accessKeyId, deletedKeyIds };
    throw error;
  }
  // A closer, or the custom resource ending this rotation, claims this rotation's version before it reads the secret,
  // and takes AWSPENDING off it before it deletes keys. Two cases slip past the claim: RotateSecret not having made
  // the version (UNVERIFIED that it always does), and a key Lightsail created late, which did not exist yet when
  // they came to delete it. Checking once the key exists covers both: if the rotation was ended, the key goes.
  if (await lineageClosed(secretArn, token)) {
    await aws.deleteKey(current.bucketName, accessKeyId, invocation.deadline);
    throw new KeyError(`Rotation ${token} of secret ${secretArn} was ended while it created a key: deleted it.`);
  }
  return { outcome: 'created', accessKeyId, deletedKeyIds };
}

/**
 * The key this rotation's version records, when Lightsail lists it as Active. No S3 request is made with it: that
 * would need an S3 client in the function and network access to the bucket, and a new key can take a moment to work
 * everywhere, which would fail rotations for no fault of the key. A recorded key that is not on the bucket (its
 * creation failed, or it was deleted outside the stack) can never become current: the rotation is ended (AWSPENDING
 * taken off its version), and the next one starts afresh.
 */
async function livePendingKey(secretArn: string, token: string, until: number): Promise<KeySecretValue> {
  const version = await aws.readSecretVersion(secretArn, token);
  const written = version?.secretString;
  if (written === RETIRED_MARKER) {
    throw new KeyError(`Rotation ${token} of secret ${secretArn} was ended before it wrote its key.`);
  }
  const pending = parseKeySecret(written);
  if (!pending) throw new KeyError(`Secret ${secretArn} has no pending key for rotation ${token}.`);
  // A key Lightsail was still creating is listed once that is done (or never, if it failed).
  const creating = creatingOperation(version?.stages ?? []);
  if (creating) await aws.awaitOperation(creating, until, `creating key ${pending.accessKeyId}`);
  const listed = (await aws.listBucketKeys(pending.bucketName)).find((k) => k.accessKeyId === pending.accessKeyId);
  if (listed?.status === 'Active') return pending;
  if (!listed) {
    await aws.moveStage(secretArn, AWSPENDING, undefined, token);
    throw new KeyError(
      `Rotation ${token} of secret ${secretArn} was ended: its key ${pending.accessKeyId} is missing from bucket ` +
        `"${pending.bucketName}". The next rotation creates a new one.`,
    );
  }
  throw new KeyError(
    `The pending key ${pending.accessKeyId} of secret ${secretArn} is ${listed.status} on bucket ` +
      `"${pending.bucketName}", not Active.`,
  );
}

/**
 * Moves AWSCURRENT to the pending version; Secrets Manager moves AWSPREVIOUS to the version it leaves. The move names
 * the version it takes the label from, so it fails if anything moved AWSCURRENT since it was read. Should the pending
 * key be gone by then (the custom resource ended this rotation while this step ran), the label goes back.
 */
async function finish(
  secretArn: string,
  token: string,
  current: string | undefined,
  until: number,
): Promise<StepResult> {
  const pending = await livePendingKey(secretArn, token, until);
  await aws.moveStage(secretArn, AWSCURRENT, token, current);
  const listed = await aws.listBucketKeys(pending.bucketName);
  if (!listed.some((k) => k.accessKeyId === pending.accessKeyId)) {
    await aws.moveStage(secretArn, AWSCURRENT, current, token);
    throw new KeyError(`Rotation ${token} of secret ${secretArn} was ended while it finished; the current key stays.`);
  }
  return { outcome: 'finished', accessKeyId: pending.accessKeyId };
}

/**
 * Ends the grace periods of the stack's rotated-out keys: for each key secret with a grace period (its tag), once
 * the current version is older than the grace period, every key of the secret but the current one and a pending one
 * is deleted. Each secret on its own: one failing does not keep the others' grace periods from ending.
 */
export async function expireGracePeriods(
  secretNamePrefix: string,
  invocation: KeyCreationContext,
  forEach: (secretArn: string, work: () => Promise<StepResult>) => Promise<StepResult>,
): Promise<number> {
  const secrets = await aws.listSecrets(secretNamePrefix, GRACE_PERIOD_TAG);
  const results = await Promise.allSettled(
    secrets.map(({ arn, tags }) =>
      forEach(arn, () => expireGracePeriod(arn, Number(tags[GRACE_PERIOD_TAG]), invocation.deadline)),
    ),
  );
  return results.filter((r) => r.status === 'rejected').length;
}

export async function expireGracePeriod(
  secretArn: string,
  gracePeriodSeconds: number,
  until: number,
  now = Date.now(),
): Promise<StepResult> {
  const { versions, current, currentVersion } = await readVersions(secretArn);
  if (!current) return { outcome: 'no-current-key' };
  const since =
    (currentVersion?.createdAt ?? versions.find((v) => v.stages.includes(AWSCURRENT))?.createdAt)?.getTime() ?? now;
  if (now - since < gracePeriodSeconds * 1000) return { outcome: 'in-grace-period' };
  const pending = versions.filter((v) => v.stages.includes(AWSPENDING));
  const keep = new Set([current.accessKeyId, ...keysIn(pending).map((k) => k.accessKeyId)]);
  const deletedKeyIds = await deleteKeys(
    keysIn(versions).filter((k) => !keep.has(k.accessKeyId)),
    until,
  );
  return { outcome: deletedKeyIds.length ? 'grace-period-ended' : 'nothing-to-expire', deletedKeyIds };
}
