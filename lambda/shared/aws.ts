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
  GetOperationCommand,
  LightsailClient,
  type Operation,
} from '@aws-sdk/client-lightsail';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  ListSecretsCommand,
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
  /** Lightsail's operation that creates it: the key works once it is terminal and did not fail. */
  readonly operation?: Operation;
}

/** One version of a key secret. */
export interface SecretVersion {
  readonly versionId: string;
  readonly stages: readonly string[];
  readonly secretString?: string;
  readonly createdAt?: Date;
  /** A deprecated version whose KMS key can no longer decrypt it (see readAllSecretVersions). */
  readonly undecryptable?: boolean;
}

/** What DescribeSecret says of a key secret: the labels of its versions, and its tags. */
export interface SecretDescription {
  /** Staging labels by version id, for versions that have any (deprecated versions are left out). */
  readonly stages: Readonly<Record<string, readonly string[]>>;
  readonly tags: Readonly<Record<string, string>>;
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

/**
 * Secrets Manager could not decrypt a version: the caller may not use its KMS key (AccessDeniedException "Access to
 * KMS is not allowed"), or the key can no longer be used (DecryptionFailure, e.g. a disabled key).
 */
export function isUndecryptable(error: unknown): boolean {
  const e = error as { name?: string; message?: string } | undefined;
  return e?.name === 'DecryptionFailure' || (e?.name === 'AccessDeniedException' && /KMS/.test(e.message ?? ''));
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

/** One CreateBucketAccessKey call, never retried here. The caller waits for its operation once the key is recorded. */
export async function createKey(bucketName: string): Promise<NewBucketKey> {
  const out = await keyCreation().send(new CreateBucketAccessKeyCommand({ bucketName }));
  const accessKeyId = out.accessKey?.accessKeyId;
  const secretAccessKey = out.accessKey?.secretAccessKey;
  if (secretAccessKey) redactLater(secretAccessKey);
  if (!accessKeyId || !secretAccessKey) {
    throw new Error(`Lightsail's CreateBucketAccessKey answer for bucket "${bucketName}" held no complete key.`);
  }
  return { accessKeyId, secretAccessKey, operation: out.operations?.[0] };
}

/**
 * Deletes a key and waits until Lightsail's operation is terminal, so that its slot is free; a key or bucket that is
 * already gone counts as deleted. Returns whether it still existed. An operation that failed is tried again (deleting
 * is idempotent), up to DELETE_ATTEMPTS times, then thrown.
 */
export async function deleteKey(bucketName: string, accessKeyId: string, until: number): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    let operation: Operation | undefined;
    try {
      operation = (await lightsail().send(new DeleteBucketAccessKeyCommand({ bucketName, accessKeyId })))
        .operations?.[0];
    } catch (error) {
      if (isNotFound(error)) return attempt > 1;
      throw error;
    }
    const { failure } = await awaitOperation(operation, until, `deleting key ${accessKeyId} of bucket "${bucketName}"`);
    if (!failure) return true;
    if (attempt === DELETE_ATTEMPTS) throw new Error(failure);
  }
}

const DELETE_ATTEMPTS = 3;

async function getOperation(operationId: string | undefined): Promise<Operation | undefined> {
  try {
    return (await lightsail().send(new GetOperationCommand({ operationId }))).operation;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** How often a Lightsail operation's status is polled: from this, doubling, up to OPERATION_POLL_MAX_MS. */
const OPERATION_POLL_MS = 250;
const OPERATION_POLL_MAX_MS = 5_000;

/**
 * Waits until a Lightsail operation is terminal (as terraform-provider-aws does for bucket access keys, by
 * GetOperation), and says whether it failed (with Lightsail's error code and details); throws if it is still running
 * at `until` (epoch milliseconds). Lightsail's key operations may well always be answered terminal; nothing here
 * relies on it. An operation Lightsail no longer knows counts as done.
 */
export async function awaitOperation(
  operation: Operation | string | undefined,
  until: number,
  what: string,
): Promise<{ readonly failure?: string }> {
  let current = typeof operation === 'string' ? await getOperation(operation) : operation;
  for (let wait = OPERATION_POLL_MS; current && !current.isTerminal; wait = Math.min(wait * 2, OPERATION_POLL_MAX_MS)) {
    if (Date.now() + wait > until) {
      throw new Error(`The Lightsail operation ${what} was still ${current.status} when the handler had to stop.`);
    }
    await new Promise((resolve) => setTimeout(resolve, wait));
    current = await getOperation(current.id);
  }
  if (current?.status !== 'Failed') return {};
  const detail = [current.errorCode, current.errorDetails].filter(Boolean).join(': ');
  return { failure: `The Lightsail operation ${what} failed${detail ? ` (${detail})` : ''}.` };
}

/** The secret's version at a stage, or undefined when no version holds that stage. */
export async function readSecretStage(secretId: string, stage: string): Promise<SecretVersion | undefined> {
  try {
    const out = await secretsManager().send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }));
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
const REENCRYPTED_STAGES = ['AWSCURRENT', 'AWSPENDING', 'AWSPREVIOUS'];

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
 * a label off a version that no longer holds it fails: a compare-and-swap on who holds it.
 */
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
