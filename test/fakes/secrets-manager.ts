// In-memory Secrets Manager secrets with versions, staging labels, tags, KMS keys and rotation settings, plus the
// wire operations on them. Rotation itself (invoking the rotation function) is the simulator's: see
// test/lifecycle/secrets-manager-rotation.ts.
import { randomUUID } from 'node:crypto';
import type { FakeKms, KmsRefusal, KmsUse } from './kms';
import { type ApiError, JsonObject, epochSeconds, randomString, secretsError } from './protocol';

export interface SecretVersion {
  versionId: string;
  /** Undefined for the version RotateSecret makes before the rotation function writes it. */
  secretString?: string;
  /** Staging labels; a version without any is "deprecated". */
  stages: string[];
  createdDate: Date;
  /** The KMS key that encrypts this version; undefined for Secrets Manager's AWS managed key. */
  kmsKeyId?: string;
}

/** A secret's rotation configuration, as RotateSecret and CancelRotateSecret leave it. */
export interface RotationSettings {
  enabled: boolean;
  lambdaArn?: string;
  scheduleExpression?: string;
  lastRotatedDate?: Date;
}

export interface SecretState {
  arn: string;
  name: string;
  description?: string;
  kmsKeyId?: string;
  createdDate: Date;
  /** Set while the secret is scheduled for deletion. */
  deletedDate?: Date;
  versions: SecretVersion[];
  tags: Record<string, string>;
  rotation?: RotationSettings;
}

export const AWSCURRENT = 'AWSCURRENT';
export const AWSPREVIOUS = 'AWSPREVIOUS';
export const AWSPENDING = 'AWSPENDING';

/** RotateSecret's answer while AWSPENDING is on a version that is not AWSCURRENT (RotateSecret API reference). */
export const ROTATION_INCOMPLETE = "A previous rotation isn't complete. That rotation will be reattempted.";

const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const ARN_SUFFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const DAY_MS = 24 * 60 * 60 * 1000;
const DEFAULT_PAGE_SIZE = 100;

const MARKED_FOR_DELETION = "You can't perform this operation on the secret because it was marked for deletion.";

export class FakeSecretsManager {
  /** Keyed by name: a name stays taken while its secret is scheduled for deletion. */
  private readonly secrets = new Map<string, SecretState>();
  /**
   * Names of force-deleted secrets whose deletion has not finished: Secrets Manager deletes asynchronously ("there
   * might be a short delay"), and a new secret of the same name fails meanwhile. The secret itself is out of reach
   * at once (which error other operations give in that window is UNVERIFIED; the fake answers not found).
   */
  private readonly deleting = new Set<string>();

  constructor(
    private readonly region: string,
    private readonly accountId: string,
    private readonly kms: FakeKms,
  ) {}

  // ---- Direct helpers for test harnesses (no wire, no faults) ----

  /** Creates a secret whose value is its AWSCURRENT version; returns the ARN. */
  createSecret(props: {
    name: string;
    secretString: string;
    kmsKeyId?: string;
    description?: string;
    tags?: Record<string, string>;
  }): string {
    this.assertNameFree(props.name);
    const secret = this.addSecret(props.name, props);
    this.addVersion(secret, randomUUID(), props.secretString, [AWSCURRENT]);
    return secret.arn;
  }

  /** Deletes without a recovery window; the name stays taken until `finishDeletions()`. */
  forceDelete(arnOrName: string): boolean {
    const secret = this.find(arnOrName);
    if (!secret) return false;
    this.secrets.delete(secret.name);
    this.deleting.add(secret.name);
    return true;
  }

  /** The asynchronous part of every force deletion so far completes: their names are free again. */
  finishDeletions(): void {
    this.deleting.clear();
  }

  scheduleDeletionOutOfBand(arnOrName: string): void {
    this.existing(arnOrName).deletedDate = new Date();
  }

  /** Moves every version's creation date back, as if that much time had passed (grace periods are measured from it). */
  backdate(arnOrName: string, ms: number): void {
    for (const version of this.find(arnOrName)?.versions ?? [])
      version.createdDate = new Date(version.createdDate.getTime() - ms);
  }

  /** A new current version, as UpdateSecret with a SecretString makes it. */
  putCurrentValue(arnOrName: string, secretString: string): void {
    this.addVersion(this.existing(arnOrName), randomUUID(), secretString, [AWSCURRENT]);
  }

  /** TagResource and UntagResource as CloudFormation applies a secret's `Tags`: they replace the tags; no new version. */
  setTags(arnOrName: string, tags: Record<string, string>): void {
    this.existing(arnOrName).tags = { ...tags };
  }

  /**
   * UpdateSecret with a new KmsKeyId: Secrets Manager re-encrypts the AWSCURRENT, AWSPENDING and AWSPREVIOUS
   * versions with the new key; every other version stays encrypted with the key it was written with ("Change the
   * encryption key for a secret", Secrets Manager user guide).
   */
  changeKmsKey(arnOrName: string, kmsKeyId: string | undefined): void {
    const secret = this.existing(arnOrName);
    secret.kmsKeyId = kmsKeyId;
    for (const v of secret.versions) {
      if ([AWSCURRENT, AWSPENDING, AWSPREVIOUS].some((s) => v.stages.includes(s))) v.kmsKeyId = kmsKeyId;
    }
  }

  /**
   * RotateSecret (RotateSecret API reference). It fails while AWSPENDING is on a version other than AWSCURRENT (a
   * previous rotation is incomplete), then stores the rotation settings and turns rotation on. To rotate, it makes
   * the version the rotation function will write: the rotation's token as its id, AWSPENDING, no value (DescribeSecret
   * API reference, `VersionIdsToStages`). With `immediately` false it only tests the configuration: a new version
   * holding a copy of the current value, labelled AWSPENDING for the testSecret step, from which the caller removes
   * the label afterwards (`endRotationTest`). The caller invokes the function: the simulator's rotation service.
   */
  rotateSecret(
    arnOrName: string,
    options: { lambdaArn?: string; scheduleExpression?: string; immediately: boolean; token?: string },
  ): string {
    const secret = this.liveSecretById(arnOrName);
    if (incompleteRotation(secret)) throw secretsError('InvalidRequestException', ROTATION_INCOMPLETE);
    secret.rotation = {
      ...secret.rotation,
      enabled: true,
      lambdaArn: options.lambdaArn ?? secret.rotation?.lambdaArn,
      scheduleExpression: options.scheduleExpression ?? secret.rotation?.scheduleExpression,
    };
    const token = options.token ?? randomUUID();
    if (!options.immediately) {
      this.addVersion(secret, token, holderOf(secret, AWSCURRENT)?.secretString, [AWSPENDING]);
      return token;
    }
    const existing = secret.versions.find((v) => v.versionId === token);
    if (existing) moveStages(secret, [AWSPENDING], existing);
    else this.addVersion(secret, token, undefined, [AWSPENDING]);
    return token;
  }

  /** After the test of a rotation configuration, Secrets Manager removes AWSPENDING from the test's version. */
  endRotationTest(arnOrName: string, versionId: string): void {
    const secret = this.existing(arnOrName);
    const version = secret.versions.find((v) => v.versionId === versionId);
    if (version) version.stages = version.stages.filter((s) => s !== AWSPENDING);
  }

  /** Takes labels off every version of a secret (what an older writer never put there). */
  removeStages(arnOrName: string, matches: (stage: string) => boolean): void {
    for (const v of this.existing(arnOrName).versions) v.stages = v.stages.filter((s) => !matches(s));
  }

  /** Secrets Manager records the date of a rotation that completed. */
  markRotated(arnOrName: string): void {
    const secret = this.find(arnOrName);
    if (secret?.rotation) secret.rotation.lastRotatedDate = new Date();
  }

  get(arnOrName: string): SecretState | undefined {
    const secret = this.find(arnOrName);
    return secret && copySecret(secret);
  }

  valueAt(arnOrName: string, stage: string = AWSCURRENT): string | undefined {
    return this.find(arnOrName)?.versions.find((v) => v.stages.includes(stage))?.secretString;
  }

  all(): SecretState[] {
    return [...this.secrets.values()].map(copySecret);
  }

  reset(): void {
    this.secrets.clear();
    this.deleting.clear();
  }

  // ---- Wire operations ----

  /** @param caller the request's user agent: whose IAM policy KMS judges (see FakeKms.permits) */
  handle(operation: string, input: JsonObject, caller = ''): JsonObject {
    switch (operation) {
      case 'CreateSecret':
        return this.createSecretOp(input);
      case 'GetSecretValue':
        return this.getSecretValue(input, caller);
      case 'PutSecretValue':
        return this.putSecretValue(input, caller);
      case 'UpdateSecretVersionStage':
        return this.updateSecretVersionStage(input);
      case 'ListSecretVersionIds':
        return this.listSecretVersionIds(input);
      case 'DescribeSecret':
        return this.describeSecret(input);
      case 'ListSecrets':
        return this.listSecrets(input);
      case 'CancelRotateSecret':
        return this.cancelRotateSecret(input);
      case 'DeleteSecret':
        return this.deleteSecret(input);
      case 'RestoreSecret':
        return this.restoreSecret(input);
      default:
        throw secretsError('UnknownOperationException', `The fake does not implement ${operation}`);
    }
  }

  private createSecretOp(input: JsonObject): JsonObject {
    const name = requiredString(input, 'Name');
    if (!SECRET_NAME.test(name)) throw secretsError('InvalidParameterException', `Invalid name: ${name}`);
    const token = optionalString(input, 'ClientRequestToken') ?? randomUUID();
    const value = optionalString(input, 'SecretString');
    // A retried request (same token, same value) is ignored and answered as the first was (CreateSecret API reference;
    // moto's aws_verified test_create_duplicate_secret_with_same_token).
    const existing = this.secrets.get(name);
    const same = existing?.versions.find((v) => v.versionId === token && v.secretString === value);
    if (existing && !existing.deletedDate && same) {
      return { ARN: existing.arn, Name: existing.name, VersionId: same.versionId };
    }
    this.assertNameFree(name);
    const secret = this.addSecret(name, {
      description: optionalString(input, 'Description'),
      kmsKeyId: optionalString(input, 'KmsKeyId'),
      tags: tagMap(input.Tags),
    });
    // Without a value the secret has no version at all.
    const version = value === undefined ? undefined : this.addVersion(secret, token, value, [AWSCURRENT]);
    return { ARN: secret.arn, Name: secret.name, VersionId: version?.versionId };
  }

  private getSecretValue(input: JsonObject, caller: string): JsonObject {
    const secret = this.liveSecret(input);
    const versionId = optionalString(input, 'VersionId');
    const stage = optionalString(input, 'VersionStage');
    const version = versionId
      ? secret.versions.find((v) => v.versionId === versionId)
      : holderOf(secret, stage ?? AWSCURRENT);
    // The version RotateSecret made before the rotation function wrote it has no value to get yet.
    if (!version || version.secretString === undefined) {
      const which = versionId ? `VersionId: ${versionId}` : `staging label: ${stage ?? AWSCURRENT}`;
      throw secretsError(
        'ResourceNotFoundException',
        `Secrets Manager can't find the specified secret value for ${which}`,
      );
    }
    if (versionId && stage && !version.stages.includes(stage)) {
      // Recorded from AWS in LocalStack's Secrets Manager snapshot tests.
      throw secretsError(
        'InvalidRequestException',
        'You provided a VersionStage that is not associated to the provided VersionId.',
      );
    }
    this.assertKmsAllows(caller, 'kms:Decrypt', version.kmsKeyId, secret);
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      SecretString: version.secretString,
      VersionStages: [...version.stages],
      CreatedDate: epochSeconds(version.createdDate),
    };
  }

  private putSecretValue(input: JsonObject, caller: string): JsonObject {
    const secret = this.liveSecret(input);
    const value = optionalString(input, 'SecretString');
    // SecretBinary is not modelled: this project only stores strings.
    if (value === undefined) throw secretsError('InvalidParameterException', 'You must provide SecretString.');
    // The SDK fills the token with a uuid; a raw call without one is refused (recorded from AWS in LocalStack's
    // Secrets Manager snapshot tests).
    const token = optionalString(input, 'ClientRequestToken');
    if (token === undefined) {
      throw secretsError(
        'InvalidRequestException',
        'You must provide a ClientRequestToken value. We recommend a UUID-type value.',
      );
    }
    const answer = (v: SecretVersion) => ({
      ARN: secret.arn,
      Name: secret.name,
      VersionId: v.versionId,
      VersionStages: [...v.stages],
    });
    const stages = optionalStringList(input, 'VersionStages') ?? [AWSCURRENT];

    const existing = secret.versions.find((v) => v.versionId === token);
    if (existing?.secretString !== undefined) {
      // A repeated token with the same value is an idempotent retry: nothing changes.
      if (existing.secretString === value) return answer(existing);
      // Verified against AWS: moto's aws_verified test_put_different_secret_value_with_same_token.
      throw secretsError(
        'ResourceExistsException',
        `You can't use ClientRequestToken ${token} because that value is already in use for a version of secret ` +
          `${secret.arn}.`,
      );
    }
    this.assertKmsAllows(caller, 'kms:GenerateDataKey', secret.kmsKeyId, secret);
    if (existing) {
      // The rotation function fills the version RotateSecret made (AWS's rotation function templates).
      existing.secretString = value;
      existing.kmsKeyId = secret.kmsKeyId;
      moveStages(secret, stages, existing);
      return answer(existing);
    }
    return answer(this.addVersion(secret, token, value, stages));
  }

  private updateSecretVersionStage(input: JsonObject): JsonObject {
    const secret = this.liveSecret(input);
    const stage = requiredString(input, 'VersionStage');
    const moveTo = optionalString(input, 'MoveToVersionId');
    const removeFrom = optionalString(input, 'RemoveFromVersionId');
    const holder = holderOf(secret, stage);

    if (moveTo === undefined && removeFrom === undefined) {
      throw secretsError('InvalidParameterException', 'You must specify MoveToVersionId or RemoveFromVersionId.');
    }
    if (removeFrom !== undefined && holder?.versionId !== removeFrom) {
      throw secretsError(
        'InvalidParameterException',
        `The staging label ${stage} is not attached to version ${removeFrom}.`,
      );
    }
    if (moveTo === undefined) {
      // AWSCURRENT can only be moved, never just removed (every secret with versions has a current one).
      if (stage === AWSCURRENT)
        throw secretsError(
          'InvalidParameterException',
          `You can't remove the staging label ${AWSCURRENT}; move it instead.`,
        );
      detach(secret, stage);
    } else {
      const target = secret.versions.find((v) => v.versionId === moveTo);
      if (!target) throw secretsError('ResourceNotFoundException', `Secrets Manager can't find the version ${moveTo}.`);
      if (holder && holder !== target && removeFrom === undefined) {
        throw secretsError(
          'InvalidParameterException',
          `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to version ` +
            `${holder.versionId}, so you must explicitly reference that version in RemoveFromVersionId.`,
        );
      }
      moveStages(secret, [stage], target);
    }
    return { ARN: secret.arn, Name: secret.name };
  }

  private listSecretVersionIds(input: JsonObject): JsonObject {
    // Whether the real service answers this for a secret marked for deletion is
    // UNVERIFIED; the fake takes the stricter view and refuses.
    const secret = this.liveSecret(input);
    const listed =
      input.IncludeDeprecated === true ? secret.versions : secret.versions.filter((v) => v.stages.length > 0);
    const { page, nextToken } = paginate(listed, input);
    return {
      ARN: secret.arn,
      Name: secret.name,
      Versions: page.map((v) => ({
        VersionId: v.versionId,
        VersionStages: [...v.stages],
        CreatedDate: epochSeconds(v.createdDate),
        KmsKeyIds: [v.kmsKeyId ?? 'DefaultEncryptionKey'],
      })),
      NextToken: nextToken,
    };
  }

  private describeSecret(input: JsonObject): JsonObject {
    // Works on a secret marked for deletion: that is how callers see DeletedDate.
    const secret = this.secretOrThrow(input);
    return { ...describe(secret), VersionIdsToStages: versionIdsToStages(secret) };
  }

  /**
   * ListSecrets with `Filters` (ListSecrets API reference, `Filter`): `name` and `tag-key` match a prefix of the
   * secret's name or of one of its tag keys, case-sensitively; filters all apply (moto's aws_verified
   * test_with_duplicate_filter_keys); values of one filter are alternatives (UNVERIFIED: the product passes one).
   * Secrets scheduled for deletion are left out unless `IncludePlannedDeletion`.
   */
  private listSecrets(input: JsonObject): JsonObject {
    const filters = (Array.isArray(input.Filters) ? input.Filters : []) as Array<{ Key?: string; Values?: string[] }>;
    const matches = (secret: SecretState) =>
      filters.every(({ Key, Values = [] }) => {
        const candidates = Key === 'name' ? [secret.name] : Key === 'tag-key' ? Object.keys(secret.tags) : undefined;
        if (!candidates) throw secretsError('InvalidParameterException', `The fake does not filter by ${Key}.`);
        return Values.some((prefix) => candidates.some((c) => c.startsWith(prefix)));
      });
    const listed = [...this.secrets.values()].filter(
      (s) => (input.IncludePlannedDeletion === true || !s.deletedDate) && matches(s),
    );
    const { page, nextToken } = paginate(listed, input);
    return {
      SecretList: page.map((s) => ({ ...describe(s), SecretVersionsToStages: versionIdsToStages(s) })),
      NextToken: nextToken,
    };
  }

  /**
   * CancelRotateSecret turns rotation off. A rotation function still running goes on, and AWSPENDING stays where it
   * is (CancelRotateSecret API reference: "it can leave the VersionStage labels in an unexpected state"). The answer
   * names the version that rotation was making.
   */
  private cancelRotateSecret(input: JsonObject): JsonObject {
    const secret = this.liveSecret(input);
    secret.rotation = { ...secret.rotation, enabled: false };
    return { ARN: secret.arn, Name: secret.name, VersionId: incompleteRotation(secret)?.versionId };
  }

  private deleteSecret(input: JsonObject): JsonObject {
    const secretId = requiredString(input, 'SecretId');
    const force = input.ForceDeleteWithoutRecovery === true;
    const window = input.RecoveryWindowInDays;
    const now = new Date();
    if (force && window !== undefined) {
      throw secretsError(
        'InvalidParameterException',
        "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
      );
    }
    if (force) {
      // Forcing the deletion of a missing secret succeeds; the deletion itself completes asynchronously.
      const secret = this.find(secretId);
      if (secret) this.forceDelete(secret.arn);
      return { ARN: secret?.arn, Name: secret?.name, DeletionDate: epochSeconds(now) };
    }
    const days = window ?? 30;
    if (typeof days !== 'number' || !Number.isInteger(days) || days < 7 || days > 30) {
      throw secretsError('InvalidParameterException', 'RecoveryWindowInDays must be between 7 and 30 days.');
    }
    const secret = this.liveSecret(input);
    secret.deletedDate = now;
    return {
      ARN: secret.arn,
      Name: secret.name,
      DeletionDate: epochSeconds(new Date(now.getTime() + days * DAY_MS)),
    };
  }

  private restoreSecret(input: JsonObject): JsonObject {
    const secret = this.secretOrThrow(input);
    delete secret.deletedDate;
    return { ARN: secret.arn, Name: secret.name };
  }

  // ---- State helpers ----

  /** CreateSecret's checks of the name: taken, scheduled for deletion, or still being force-deleted. */
  private assertNameFree(name: string): void {
    const existing = this.secrets.get(name);
    if (existing?.deletedDate || this.deleting.has(name)) {
      throw secretsError(
        'InvalidRequestException',
        "You can't create this secret because a secret with this name is already scheduled for deletion.",
      );
    }
    if (existing)
      throw secretsError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
  }

  /** Secrets Manager uses the secret's KMS key for its caller: a key the caller may not use fails the operation. */
  private assertKmsAllows(caller: string, use: KmsUse, keyArn: string | undefined, secret: SecretState): void {
    const refusal = this.kms.refusal(caller, use, keyArn, secret.arn);
    if (refusal) throw kmsError(use, refusal);
  }

  private addSecret(
    name: string,
    props: { description?: string; kmsKeyId?: string; tags?: Record<string, string> },
  ): SecretState {
    const secret: SecretState = {
      arn: `arn:aws:secretsmanager:${this.region}:${this.accountId}:secret:${name}-${randomString(ARN_SUFFIX_ALPHABET, 6)}`,
      name,
      description: props.description,
      kmsKeyId: props.kmsKeyId,
      createdDate: new Date(),
      versions: [],
      tags: { ...props.tags },
    };
    this.secrets.set(name, secret);
    return secret;
  }

  private addVersion(
    secret: SecretState,
    versionId: string,
    secretString: string | undefined,
    stages: string[],
  ): SecretVersion {
    const version: SecretVersion = {
      versionId,
      secretString,
      stages: [],
      createdDate: new Date(),
      kmsKeyId: secret.kmsKeyId,
    };
    // A secret's first version is always AWSCURRENT, whatever labels the call names (PutSecretValue API reference).
    const labels = secret.versions.length === 0 && !stages.includes(AWSCURRENT) ? [AWSCURRENT, ...stages] : stages;
    secret.versions.push(version);
    moveStages(secret, labels, version);
    return version;
  }

  /** Finds a secret by full ARN or by name. */
  private find(arnOrName: string): SecretState | undefined {
    if (!arnOrName.startsWith('arn:')) return this.secrets.get(arnOrName);
    return [...this.secrets.values()].find((s) => s.arn === arnOrName);
  }

  private existing(arnOrName: string): SecretState {
    const secret = this.find(arnOrName);
    if (!secret) throw new Error(`no such secret: ${arnOrName}`);
    return secret;
  }

  private secretOrThrow(input: JsonObject): SecretState {
    const secret = this.find(requiredString(input, 'SecretId'));
    if (!secret) throw secretsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return secret;
  }

  /** A secret that is not scheduled for deletion. */
  private liveSecret(input: JsonObject): SecretState {
    return this.liveSecretById(requiredString(input, 'SecretId'));
  }

  private liveSecretById(secretId: string): SecretState {
    const secret = this.find(secretId);
    if (!secret) throw secretsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    if (secret.deletedDate) throw secretsError('InvalidRequestException', MARKED_FOR_DELETION);
    return secret;
  }
}

/** The version an incomplete rotation left AWSPENDING on: one that is not AWSCURRENT (RotateSecret API reference). */
export function incompleteRotation(secret: SecretState): SecretVersion | undefined {
  const pending = holderOf(secret, AWSPENDING);
  return pending && !pending.stages.includes(AWSCURRENT) ? pending : undefined;
}

/** What DescribeSecret and ListSecrets say of a secret, besides its versions. */
function describe(secret: SecretState): JsonObject {
  const rotation = secret.rotation;
  const tags = Object.entries(secret.tags).map(([Key, Value]) => ({ Key, Value }));
  return {
    ARN: secret.arn,
    Name: secret.name,
    Description: secret.description,
    KmsKeyId: secret.kmsKeyId,
    CreatedDate: epochSeconds(secret.createdDate),
    LastChangedDate: epochSeconds(secret.versions.at(-1)?.createdDate ?? secret.createdDate),
    DeletedDate: secret.deletedDate && epochSeconds(secret.deletedDate),
    RotationEnabled: rotation?.enabled ?? false,
    RotationLambdaARN: rotation?.lambdaArn,
    RotationRules: rotation?.scheduleExpression ? { ScheduleExpression: rotation.scheduleExpression } : undefined,
    LastRotatedDate: rotation?.lastRotatedDate && epochSeconds(rotation.lastRotatedDate),
    Tags: tags.length ? tags : undefined,
  };
}

function versionIdsToStages(secret: SecretState): Record<string, string[]> {
  const staged = secret.versions.filter((v) => v.stages.length > 0);
  return Object.fromEntries(staged.map((v) => [v.versionId, [...v.stages]]));
}

/**
 * The error Secrets Manager answers when it cannot use the KMS key: AccessDeniedException "Access to KMS is not
 * allowed" when the caller may not (Secrets Manager user guide, troubleshooting rotation); DecryptionFailure naming
 * the key's state when it can no longer be used (a disabled key, quoted in the AWS GovCloud (US) user guide; for a
 * key pending deletion, and EncryptionFailure for a write, UNVERIFIED).
 */
function kmsError(use: KmsUse, refusal: KmsRefusal): ApiError {
  if (refusal.kind === 'not allowed') return secretsError('AccessDeniedException', 'Access to KMS is not allowed');
  return use === 'kms:Decrypt'
    ? secretsError('DecryptionFailure', `Secrets Manager can't decrypt the secret value: ${refusal.reason}.`)
    : secretsError('EncryptionFailure', `Secrets Manager can't encrypt the secret value: ${refusal.reason}.`);
}

function tagMap(value: unknown): Record<string, string> {
  if (!Array.isArray(value)) return {};
  return Object.fromEntries((value as Array<{ Key: string; Value: string }>).map((t) => [t.Key, t.Value]));
}

function paginate<T>(items: readonly T[], input: JsonObject): { page: T[]; nextToken?: string } {
  const pageSize = typeof input.MaxResults === 'number' ? input.MaxResults : DEFAULT_PAGE_SIZE;
  const start = pageStart(input.NextToken);
  const page = items.slice(start, start + pageSize);
  const next = start + page.length;
  return { page, nextToken: next < items.length ? Buffer.from(String(next)).toString('base64') : undefined };
}

// Not structuredClone: under jest its Dates come from another realm and fail `instanceof Date`.
function copySecret(secret: SecretState): SecretState {
  return {
    ...secret,
    createdDate: new Date(secret.createdDate),
    deletedDate: secret.deletedDate && new Date(secret.deletedDate),
    versions: secret.versions.map((v) => ({ ...v, stages: [...v.stages], createdDate: new Date(v.createdDate) })),
    tags: { ...secret.tags },
    rotation: secret.rotation && { ...secret.rotation },
  };
}

function holderOf(secret: SecretState, stage: string): SecretVersion | undefined {
  return secret.versions.find((v) => v.stages.includes(stage));
}

function detach(secret: SecretState, stage: string): void {
  for (const v of secret.versions) v.stages = v.stages.filter((s) => s !== stage);
}

/**
 * Moves labels onto `target` (a label sits on at most one version). When AWSCURRENT
 * moves, AWSPREVIOUS follows to the version that lost it.
 */
function moveStages(secret: SecretState, stages: string[], target: SecretVersion): void {
  const previousCurrent = holderOf(secret, AWSCURRENT);
  for (const stage of new Set(stages)) {
    detach(secret, stage);
    target.stages.push(stage);
  }
  if (stages.includes(AWSCURRENT) && previousCurrent && previousCurrent !== target) {
    detach(secret, AWSPREVIOUS);
    previousCurrent.stages.push(AWSPREVIOUS);
  }
}

function pageStart(nextToken: unknown): number {
  if (nextToken === undefined) return 0;
  const start = Number(Buffer.from(String(nextToken), 'base64').toString());
  if (!Number.isInteger(start) || start < 0)
    throw secretsError('InvalidNextTokenException', 'The NextToken is invalid.');
  return start;
}

function requiredString(input: JsonObject, member: string): string {
  const value = optionalString(input, member);
  if (value === undefined || value === '') throw secretsError('InvalidParameterException', `${member} is required.`);
  return value;
}

function optionalString(input: JsonObject, member: string): string | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw secretsError('InvalidParameterException', `${member} must be a string.`);
  return value;
}

function optionalStringList(input: JsonObject, member: string): string[] | undefined {
  const value = input[member];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((s) => typeof s !== 'string')) {
    throw secretsError('InvalidParameterException', `${member} must be a list of strings.`);
  }
  return value;
}
