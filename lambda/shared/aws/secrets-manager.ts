/** Secrets Manager: reading a key secret's versions, labels and tags, writing versions, moving labels. */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { AWSCURRENT, AWSPENDING, AWSPREVIOUS } from '../../../lib/contract';
import { redactSecretsIn } from '../redact';
import { secretsManager } from './clients';
import { isNotFound, isUndecryptable } from './errors';

/** One version of a key secret. */
export interface SecretVersion {
  readonly versionId: string;
  readonly stages: readonly string[];
  readonly secretString?: string;
  readonly createdAt?: Date;
  /** A version whose KMS key can no longer decrypt it (see readAllSecretVersions). */
  readonly undecryptable?: boolean;
}

/** What DescribeSecret says of a key secret: the labels of its versions, and its tags. */
export interface SecretDescription {
  /** Staging labels by version id, for versions that have any (deprecated versions are left out). */
  readonly stages: Readonly<Record<string, readonly string[]>>;
  readonly tags: Readonly<Record<string, string>>;
}

/** The secret's version at a stage, or undefined when no version holds that stage. */
export async function readSecretStage(secretId: string, stage: string): Promise<SecretVersion | undefined> {
  try {
    const out = await secretsManager().send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }));
    redactSecretsIn(out.SecretString);
    return {
      versionId: out.VersionId ?? '',
      stages: out.VersionStages ?? [],
      secretString: out.SecretString,
      createdAt: out.CreatedDate,
    };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

export async function readSecretVersion(secretId: string, versionId: string): Promise<SecretVersion | undefined> {
  try {
    const out = await secretsManager().send(new GetSecretValueCommand({ SecretId: secretId, VersionId: versionId }));
    redactSecretsIn(out.SecretString);
    return { versionId, stages: out.VersionStages ?? [], secretString: out.SecretString };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** The labels of a secret's versions, and its tags. */
export async function describeSecret(secretId: string): Promise<SecretDescription> {
  const out = await secretsManager().send(new DescribeSecretCommand({ SecretId: secretId }));
  return {
    stages: out.VersionIdsToStages ?? {},
    tags: Object.fromEntries((out.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
  };
}

/** The ARNs and tags of the secrets whose names start with `namePrefix` and that have a tag `tagKey`. */
export async function listSecrets(
  namePrefix: string,
  tagKey: string,
): Promise<Array<{ arn: string; tags: Record<string, string> }>> {
  const found: Array<{ arn: string; tags: Record<string, string> }> = [];
  let nextToken: string | undefined;
  do {
    const page = await secretsManager().send(
      new ListSecretsCommand({
        Filters: [
          { Key: 'name', Values: [namePrefix] },
          { Key: 'tag-key', Values: [tagKey] },
        ],
        NextToken: nextToken,
      }),
    );
    for (const s of page.SecretList ?? []) {
      if (s.ARN) found.push({ arn: s.ARN, tags: Object.fromEntries((s.Tags ?? []).map((t) => [t.Key, t.Value])) });
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return found;
}

/**
 * The labels whose versions Secrets Manager re-encrypts when a secret gets a new KMS key; every other version stays
 * encrypted with the key it was written with ("Change the encryption key for a secret", Secrets Manager user guide).
 */
const REENCRYPTED_STAGES = [AWSCURRENT, AWSPENDING, AWSPREVIOUS];

/**
 * Every version of a secret, deprecated ones included, with their values (none for a version not written yet). A
 * version Secrets Manager did not re-encrypt that cannot be decrypted any more (its KMS key, which the secret no
 * longer uses, was disabled or deleted) is returned as `undecryptable`: the keys such versions record were deleted
 * when they were rotated out (docs/design.md). Any other failure to read throws.
 */
export async function readAllSecretVersions(secretId: string): Promise<SecretVersion[]> {
  const listed: Array<{ id: string; stages: string[]; createdAt?: Date }> = [];
  let nextToken: string | undefined;
  do {
    const page = await secretsManager().send(
      new ListSecretVersionIdsCommand({ SecretId: secretId, IncludeDeprecated: true, NextToken: nextToken }),
    );
    for (const v of page.Versions ?? []) {
      if (v.VersionId) listed.push({ id: v.VersionId, stages: v.VersionStages ?? [], createdAt: v.CreatedDate });
    }
    nextToken = page.NextToken;
  } while (nextToken);
  const versions = await Promise.all(
    listed.map(async ({ id, stages, createdAt }): Promise<SecretVersion> => {
      try {
        // A version without a value (the one RotateSecret makes before the rotation function writes it) has none.
        const version = await readSecretVersion(secretId, id);
        return { versionId: id, stages, createdAt, secretString: version?.secretString };
      } catch (error) {
        if (!stages.some((s) => REENCRYPTED_STAGES.includes(s)) && isUndecryptable(error)) {
          return { versionId: id, stages, createdAt, undecryptable: true };
        }
        throw error;
      }
    }),
  );
  return versions;
}

/** Cancels a secret's scheduled deletion. */
export async function restoreSecret(secretId: string): Promise<void> {
  await secretsManager().send(new RestoreSecretCommand({ SecretId: secretId }));
}

/**
 * Writes a new secret version. The token makes a retried call a no-op (same token and value) or a failure (same
 * token, different value), never a second version.
 */
export async function putSecret(
  secretId: string,
  secretString: string,
  clientRequestToken: string,
  versionStages?: string[],
): Promise<void> {
  await secretsManager().send(
    new PutSecretValueCommand({
      SecretId: secretId,
      SecretString: secretString,
      ClientRequestToken: clientRequestToken,
      VersionStages: versionStages,
    }),
  );
}

/**
 * Moves a staging label onto a version (`moveToVersionId`), off a version (`removeFromVersionId`), or both. Moving
 * a label off a version that no longer holds it fails: a compare-and-swap on who holds it. A move whose answer was
 * lost after it took effect fails when the SDK retries it (the label moved already): a failed move that finds the
 * label on `moveToVersionId` is done.
 */
export async function moveStage(
  secretId: string,
  stage: string,
  moveToVersionId: string | undefined,
  removeFromVersionId: string | undefined,
): Promise<void> {
  try {
    await secretsManager().send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: stage,
        MoveToVersionId: moveToVersionId,
        RemoveFromVersionId: removeFromVersionId,
      }),
    );
  } catch (error) {
    if (moveToVersionId === undefined) throw error;
    const { stages } = await describeSecret(secretId).catch(() => ({ stages: {} as Record<string, string[]> }));
    if (!stages[moveToVersionId]?.includes(stage)) throw error;
  }
}
