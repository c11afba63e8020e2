// In-memory Secrets Manager secrets with versions and staging labels, plus the wire operations on them.
import { randomUUID } from 'node:crypto';
import { JsonObject, epochSeconds, randomString, secretsError } from './protocol';

export interface SecretVersion {
  versionId: string;
  secretString: string;
  /** Staging labels; a version without any is "deprecated". */
  stages: string[];
  createdDate: Date;
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
}

export const AWSCURRENT = 'AWSCURRENT';
export const AWSPREVIOUS = 'AWSPREVIOUS';

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
  ) {}

  // ---- Direct helpers for test harnesses (no wire, no faults) ----

  /** Creates a secret whose value is its AWSCURRENT version; returns the ARN. */
  createSecret(props: { name: string; secretString: string; kmsKeyId?: string; description?: string }): string {
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
    const secret = this.find(arnOrName);
    if (!secret) throw new Error(`no such secret: ${arnOrName}`);
    secret.deletedDate = new Date();
  }

  /** A copy of the full state, versions and stages included, for invariant checks. */
  /** Moves every version's creation date back, as if that much time had passed (grace periods are measured from it). */
  backdate(arnOrName: string, ms: number): void {
    for (const version of this.find(arnOrName)?.versions ?? [])
      version.createdDate = new Date(version.createdDate.getTime() - ms);
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

  handle(operation: string, input: JsonObject): JsonObject {
    switch (operation) {
      case 'CreateSecret':
        return this.createSecretOp(input);
      case 'GetSecretValue':
        return this.getSecretValue(input);
      case 'PutSecretValue':
        return this.putSecretValue(input);
      case 'UpdateSecretVersionStage':
        return this.updateSecretVersionStage(input);
      case 'ListSecretVersionIds':
        return this.listSecretVersionIds(input);
      case 'DescribeSecret':
        return this.describeSecret(input);
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
    this.assertNameFree(name);
    const secret = this.addSecret(name, {
      description: optionalString(input, 'Description'),
      kmsKeyId: optionalString(input, 'KmsKeyId'),
    });
    // Without a value the secret has no version at all.
    const value = optionalString(input, 'SecretString');
    const version =
      value === undefined
        ? undefined
        : this.addVersion(secret, optionalString(input, 'ClientRequestToken') ?? randomUUID(), value, [AWSCURRENT]);
    return { ARN: secret.arn, Name: secret.name, VersionId: version?.versionId };
  }

  private getSecretValue(input: JsonObject): JsonObject {
    const secret = this.liveSecret(input);
    const versionId = optionalString(input, 'VersionId');
    const stage = optionalString(input, 'VersionStage');
    const version = versionId
      ? secret.versions.find((v) => v.versionId === versionId && (!stage || v.stages.includes(stage)))
      : holderOf(secret, stage ?? AWSCURRENT);
    if (!version) {
      const which = versionId ? `VersionId: ${versionId}` : `staging label: ${stage ?? AWSCURRENT}`;
      throw secretsError(
        'ResourceNotFoundException',
        `Secrets Manager can't find the specified secret value for ${which}`,
      );
    }
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      SecretString: version.secretString,
      VersionStages: [...version.stages],
      CreatedDate: epochSeconds(version.createdDate),
    };
  }

  private putSecretValue(input: JsonObject): JsonObject {
    const secret = this.liveSecret(input);
    const value = optionalString(input, 'SecretString');
    // SecretBinary is not modelled: this project only stores strings.
    if (value === undefined) throw secretsError('InvalidParameterException', 'You must provide SecretString.');
    // The SDK fills the token with a uuid; a bare wire call may omit it.
    const token = optionalString(input, 'ClientRequestToken') ?? randomUUID();
    const answer = (v: SecretVersion) => ({
      ARN: secret.arn,
      Name: secret.name,
      VersionId: v.versionId,
      VersionStages: [...v.stages],
    });

    const existing = secret.versions.find((v) => v.versionId === token);
    if (existing) {
      // A repeated token with the same value is an idempotent retry: nothing changes.
      if (existing.secretString === value) return answer(existing);
      // The real service rejects a reused token with another value; the error class is
      // UNVERIFIED (ResourceExistsException is the likely one).
      throw secretsError(
        'ResourceExistsException',
        `A version with VersionId ${token} already exists and has a different value.`,
      );
    }
    const stages = optionalStringList(input, 'VersionStages') ?? [AWSCURRENT];
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
    const pageSize = typeof input.MaxResults === 'number' ? input.MaxResults : DEFAULT_PAGE_SIZE;
    const start = pageStart(input.NextToken);
    const page = listed.slice(start, start + pageSize);
    const next = start + page.length;
    return {
      ARN: secret.arn,
      Name: secret.name,
      Versions: page.map((v) => ({
        VersionId: v.versionId,
        VersionStages: [...v.stages],
        CreatedDate: epochSeconds(v.createdDate),
        KmsKeyIds: [secret.kmsKeyId ?? 'DefaultEncryptionKey'],
      })),
      NextToken: next < listed.length ? Buffer.from(String(next)).toString('base64') : undefined,
    };
  }

  private describeSecret(input: JsonObject): JsonObject {
    // Works on a secret marked for deletion: that is how callers see DeletedDate.
    const secret = this.secretOrThrow(input);
    const staged = secret.versions.filter((v) => v.stages.length > 0);
    return {
      ARN: secret.arn,
      Name: secret.name,
      Description: secret.description,
      KmsKeyId: secret.kmsKeyId,
      CreatedDate: epochSeconds(secret.createdDate),
      LastChangedDate: epochSeconds(secret.versions.at(-1)?.createdDate ?? secret.createdDate),
      DeletedDate: secret.deletedDate && epochSeconds(secret.deletedDate),
      VersionIdsToStages: Object.fromEntries(staged.map((v) => [v.versionId, [...v.stages]])),
    };
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

  private addSecret(name: string, props: { description?: string; kmsKeyId?: string }): SecretState {
    const secret: SecretState = {
      arn: `arn:aws:secretsmanager:${this.region}:${this.accountId}:secret:${name}-${randomString(ARN_SUFFIX_ALPHABET, 6)}`,
      name,
      description: props.description,
      kmsKeyId: props.kmsKeyId,
      createdDate: new Date(),
      versions: [],
    };
    this.secrets.set(name, secret);
    return secret;
  }

  private addVersion(secret: SecretState, versionId: string, secretString: string, stages: string[]): SecretVersion {
    const version: SecretVersion = { versionId, secretString, stages: [], createdDate: new Date() };
    secret.versions.push(version);
    moveStages(secret, stages, version);
    return version;
  }

  /** Finds a secret by full ARN or by name. */
  private find(arnOrName: string): SecretState | undefined {
    if (!arnOrName.startsWith('arn:')) return this.secrets.get(arnOrName);
    return [...this.secrets.values()].find((s) => s.arn === arnOrName);
  }

  private secretOrThrow(input: JsonObject): SecretState {
    const secret = this.find(requiredString(input, 'SecretId'));
    if (!secret) throw secretsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return secret;
  }

  /** A secret that is not scheduled for deletion. */
  private liveSecret(input: JsonObject): SecretState {
    const secret = this.secretOrThrow(input);
    if (secret.deletedDate) throw secretsError('InvalidRequestException', MARKED_FOR_DELETION);
    return secret;
  }
}

// Not structuredClone: under jest its Dates come from another realm and fail `instanceof Date`.
function copySecret(secret: SecretState): SecretState {
  return {
    ...secret,
    createdDate: new Date(secret.createdDate),
    deletedDate: secret.deletedDate && new Date(secret.deletedDate),
    versions: secret.versions.map((v) => ({ ...v, stages: [...v.stages], createdDate: new Date(v.createdDate) })),
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
