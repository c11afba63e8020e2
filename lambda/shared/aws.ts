/**
 * Every AWS call the handlers make, behind one seam. Tests replace the clients with aws-sdk-client-mock, or point
 * them at the wire-level fakes through AWS_ENDPOINT_URL_LIGHTSAIL / AWS_ENDPOINT_URL_SECRETS_MANAGER.
 *
 * Only client classes and the commands used are imported, so the bundler leaves the rest of each SDK out.
 */
import {
  CreateBucketAccessKeyCommand,
  DeleteBucketAccessKeyCommand,
  GetBucketAccessKeysCommand,
  GetBucketsCommand,
  LightsailClient,
} from '@aws-sdk/client-lightsail';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { redactLater } from './redact';

/**
 * Attempts per call (the SDK's standard retry mode: exponential backoff with jitter up to 20 s, for throttling,
 * 5xx and dropped connections). Far above the SDK's default of 3 because many keys created at once share
 * Lightsail's per-account rate limit: 20 attempts wait for minutes, within the function's 5-minute timeout.
 * AWS_MAX_ATTEMPTS overrides it.
 */
const DEFAULT_MAX_ATTEMPTS = 20;

let lightsailClient: LightsailClient | undefined;
let keyCreationClient: LightsailClient | undefined;
let secretsClient: SecretsManagerClient | undefined;

function clientConfig() {
  return process.env.AWS_MAX_ATTEMPTS ? {} : { maxAttempts: DEFAULT_MAX_ATTEMPTS };
}

function lightsail(): LightsailClient {
  return (lightsailClient ??= new LightsailClient(clientConfig()));
}

/**
 * CreateBucketAccessKey is not idempotent: when its answer is lost, a blind retry makes a second key and the first
 * one's secret is gone for good. Its client never retries; the caller decides (see lifecycle.ts).
 */
function keyCreation(): LightsailClient {
  return (keyCreationClient ??= new LightsailClient({ maxAttempts: 1 }));
}

function secretsManager(): SecretsManagerClient {
  return (secretsClient ??= new SecretsManagerClient(clientConfig()));
}

/** A bucket access key as GetBucketAccessKeys describes it: never with its secret. */
export interface BucketKeyInfo {
  readonly accessKeyId: string;
  readonly status?: string;
  readonly createdAt?: Date;
  readonly lastUsedAt?: Date;
}

/** A new key: the only moment its secret exists outside Secrets Manager. */
export interface NewBucketKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** One version of a key secret. */
export interface SecretVersion {
  readonly versionId: string;
  readonly stages: readonly string[];
  readonly secretString?: string;
  readonly createdAt?: Date;
}

/** Not found, whether typed (NotFoundException, ResourceNotFoundException) or only said ("DoesNotExist"). */
export function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; message?: string; code?: string } | undefined;
  if (!e) return false;
  if (e.name === 'NotFoundException' || e.name === 'ResourceNotFoundException') return true;
  return /DoesNotExist/.test(`${e.name ?? ''} ${e.code ?? ''} ${e.message ?? ''}`);
}

/** Refused for rate: the service did nothing, so the call can be repeated. */
export function isThrottling(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return e?.name === 'ThrottlingException' || e?.$metadata?.httpStatusCode === 429;
}

/**
 * A failure after which the call may or may not have taken effect: a server error, or no HTTP answer at all (a
 * dropped connection, a timeout). A 4xx answer means the service refused the call.
 */
export function mayHaveTakenEffect(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  return status === undefined || status >= 500;
}

/**
 * PutSecretValue's answer when its ClientRequestToken is a version that already holds another value: the token was
 * taken (claimed) first. The error class is UNVERIFIED (Secrets Manager documents only that the call fails);
 * ResourceExistsException is the one PutSecretValue declares for it.
 */
export function isTokenTaken(error: unknown): boolean {
  return (error as { name?: string } | undefined)?.name === 'ResourceExistsException';
}

/** Secrets Manager's answer for a secret scheduled for deletion. */
export function isMarkedForDeletion(error: unknown): boolean {
  const e = error as { name?: string; message?: string } | undefined;
  return e?.name === 'InvalidRequestException' && /(marked|scheduled) for deletion/i.test(e.message ?? '');
}

export async function listBucketKeys(bucketName: string): Promise<BucketKeyInfo[]> {
  const out = await lightsail().send(new GetBucketAccessKeysCommand({ bucketName }));
  return (out.accessKeys ?? []).map((k) => ({
    accessKeyId: k.accessKeyId ?? '',
    status: k.status,
    createdAt: k.createdAt,
    lastUsedAt: k.lastUsed?.lastUsedDate,
  }));
}

export async function bucketEndpoint(bucketName: string): Promise<string> {
  const out = await lightsail().send(new GetBucketsCommand({ bucketName }));
  const url = out.buckets?.find((b) => b.name === bucketName)?.url;
  if (!url) throw new Error(`Lightsail returned no URL for bucket "${bucketName}".`);
  return url;
}

/** One CreateBucketAccessKey call, never retried here. */
export async function createKey(bucketName: string): Promise<NewBucketKey> {
  const out = await keyCreation().send(new CreateBucketAccessKeyCommand({ bucketName }));
  const accessKeyId = out.accessKey?.accessKeyId;
  const secretAccessKey = out.accessKey?.secretAccessKey;
  if (secretAccessKey) redactLater(secretAccessKey);
  if (!accessKeyId || !secretAccessKey) {
    throw new Error(`Lightsail's CreateBucketAccessKey answer for bucket "${bucketName}" held no complete key.`);
  }
  return { accessKeyId, secretAccessKey };
}

/** Deletes a key; a key or bucket that is already gone counts as deleted. Returns whether it still existed. */
export async function deleteKey(bucketName: string, accessKeyId: string): Promise<boolean> {
  try {
    await lightsail().send(new DeleteBucketAccessKeyCommand({ bucketName, accessKeyId }));
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

/** The secret's version at a stage, or undefined when no version holds that stage. */
export async function readSecretStage(secretId: string, stage: string): Promise<SecretVersion | undefined> {
  try {
    const out = await secretsManager().send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }));
    return { versionId: out.VersionId ?? '', stages: out.VersionStages ?? [], secretString: out.SecretString };
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

export async function readSecretVersion(secretId: string, versionId: string): Promise<SecretVersion | undefined> {
  try {
    const out = await secretsManager().send(new GetSecretValueCommand({ SecretId: secretId, VersionId: versionId }));
    return { versionId, stages: out.VersionStages ?? [], secretString: out.SecretString };
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

/** Which staging labels each version of a secret has. */
export async function versionStages(secretId: string): Promise<Record<string, string[]>> {
  const out = await secretsManager().send(new DescribeSecretCommand({ SecretId: secretId }));
  return out.VersionIdsToStages ?? {};
}

/** Every version of a secret, deprecated ones included, with their values. */
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
    listed.map(async ({ id, stages, createdAt }): Promise<SecretVersion | undefined> => {
      const version = await readSecretVersion(secretId, id);
      return version && { ...version, stages, createdAt };
    }),
  );
  return versions.filter((v): v is SecretVersion => v !== undefined);
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

export async function moveStage(
  secretId: string,
  stage: string,
  moveToVersionId: string | undefined,
  removeFromVersionId: string | undefined,
): Promise<void> {
  await secretsManager().send(
    new UpdateSecretVersionStageCommand({
      SecretId: secretId,
      VersionStage: stage,
      MoveToVersionId: moveToVersionId,
      RemoveFromVersionId: removeFromVersionId,
    }),
  );
}
