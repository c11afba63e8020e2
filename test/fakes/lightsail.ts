// In-memory Lightsail buckets and bucket access keys, plus the wire operations on them.
import { randomBytes, randomUUID } from 'node:crypto';
import { ApiError, JsonObject, epochSeconds, lightsailError, randomString } from './protocol';

export interface BucketInfo {
  name: string;
  arn: string;
  url: string;
}

export interface KeyInfo {
  bucketName: string;
  accessKeyId: string;
  status: 'Active';
  createdAt: Date;
}

interface StoredKey extends KeyInfo {
  secretAccessKey: string;
}

interface StoredBucket extends BucketInfo {
  createdAt: Date;
  keys: StoredKey[];
}

/** Terminal and non-terminal statuses of a Lightsail operation (`OperationStatus`, SDK model). */
type OperationStatus = 'NotStarted' | 'Started' | 'Failed' | 'Completed' | 'Succeeded';

interface StoredOperation {
  readonly id: string;
  readonly operationType: string;
  readonly bucket: StoredBucket;
  readonly accessKeyId: string;
  status: OperationStatus;
  errorCode?: string;
  errorDetails?: string;
  statusChangedAt: Date;
}

/**
 * How the next key operations of a type are answered: `Started` (not terminal) and applied `delayMs` later, with the
 * outcome given. Whether Lightsail ever answers a key operation before it is terminal is UNVERIFIED, so the fake can
 * do both; by default it applies every operation at once and answers `Succeeded`.
 */
export interface DeferredOperations {
  readonly operationType: 'CreateBucketAccessKey' | 'DeleteBucketAccessKey';
  readonly delayMs: number;
  readonly outcome: 'Succeeded' | 'Failed';
  /** How many operations of the type this applies to (default 1). */
  readonly times?: number;
}

const MAX_KEYS_PER_BUCKET = 2;
const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,52}[a-z0-9]$/;
// Real key ids use this base32 alphabet.
const KEY_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export class FakeLightsail {
  private readonly buckets = new Map<string, StoredBucket>();
  private readonly everGenerated: string[] = [];
  private readonly operations = new Map<string, StoredOperation>();
  private deferrals: Array<DeferredOperations & { remaining: number }> = [];
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly region: string,
    private readonly accountId: string,
  ) {}

  // ---- Direct helpers for test harnesses (no wire, no faults) ----

  createBucket(name: string): BucketInfo {
    if (!BUCKET_NAME.test(name)) throw new Error(`invalid bucket name: ${name}`);
    if (this.buckets.has(name)) throw new Error(`bucket already exists: ${name}`);
    const bucket: StoredBucket = {
      name,
      // The ARN's last part is an id, not the name, so code must not build it from the name.
      arn: `arn:aws:lightsail:${this.region}:${this.accountId}:Bucket/${randomUUID()}`,
      url: `https://${name}.s3.${this.region}.amazonaws.com/`,
      createdAt: new Date(),
      keys: [],
    };
    this.buckets.set(name, bucket);
    return { name, arn: bucket.arn, url: bucket.url };
  }

  /** Out-of-band deletion (a forced DeleteBucket): its keys go with it. */
  deleteBucket(name: string): boolean {
    return this.buckets.delete(name);
  }

  bucketExists(name: string): boolean {
    return this.buckets.has(name);
  }

  /** Keys of one bucket, without secrets; empty for an unknown bucket. */
  keysOf(bucketName: string): KeyInfo[] {
    return (this.buckets.get(bucketName)?.keys ?? []).map(publicKeyInfo);
  }

  allKeys(): KeyInfo[] {
    return [...this.buckets.values()].flatMap((b) => b.keys.map(publicKeyInfo));
  }

  /** A key someone made outside the system under test (its secret is thrown away); undefined when no slot is free. */
  createKeyOutOfBand(bucketName: string): string | undefined {
    const bucket = this.buckets.get(bucketName);
    if (!bucket || bucket.keys.length >= MAX_KEYS_PER_BUCKET) return undefined;
    const accessKeyId = 'AKIA' + randomString(KEY_ID_ALPHABET, 16);
    bucket.keys.push({ bucketName, accessKeyId, secretAccessKey: '', status: 'Active', createdAt: new Date() });
    return accessKeyId;
  }

  deleteKeyOutOfBand(bucketName: string, accessKeyId: string): boolean {
    const bucket = this.buckets.get(bucketName);
    const before = bucket?.keys.length ?? 0;
    if (bucket) bucket.keys = bucket.keys.filter((k) => k.accessKeyId !== accessKeyId);
    return (bucket?.keys.length ?? 0) < before;
  }

  /** Every secretAccessKey ever handed out, live or deleted, for leak searches. */
  generatedSecrets(): string[] {
    return [...this.everGenerated];
  }

  /** The next key operations of a type are answered before they take effect (see DeferredOperations). */
  deferOperations(deferral: DeferredOperations): void {
    this.deferrals.push({ ...deferral, remaining: deferral.times ?? 1 });
  }

  /** Deferrals not used up yet no longer apply (operations already deferred are still applied). */
  clearDeferrals(): void {
    this.deferrals = [];
  }

  /** Whether a key's creation was answered and is still to be applied (the key will appear unless it fails). */
  isBeingCreated(accessKeyId: string): boolean {
    return [...this.operations.values()].some(
      (o) => o.accessKeyId === accessKeyId && o.operationType === 'CreateBucketAccessKey' && o.status === 'Started',
    );
  }

  /** Whether a key's creation was answered, then failed: the key never existed. */
  creationFailed(accessKeyId: string): boolean {
    return [...this.operations.values()].some(
      (o) => o.accessKeyId === accessKeyId && o.operationType === 'CreateBucketAccessKey' && o.status === 'Failed',
    );
  }

  /** Whether an operation is still to be applied. */
  hasPendingOperations(): boolean {
    return this.timers.size > 0;
  }

  /** Resolves once every operation answered before it took effect has been applied (or failed). */
  async pendingOperationsApplied(): Promise<void> {
    while (this.hasPendingOperations()) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  reset(): void {
    this.buckets.clear();
    this.everGenerated.length = 0;
    this.operations.clear();
    this.deferrals = [];
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  // ---- Wire operations ----

  handle(operation: string, input: JsonObject): JsonObject {
    switch (operation) {
      case 'CreateBucketAccessKey':
        return this.createBucketAccessKey(input);
      case 'DeleteBucketAccessKey':
        return this.deleteBucketAccessKey(input);
      case 'GetBucketAccessKeys':
        return { accessKeys: this.bucketOrThrow(input).keys.map((k) => wireKey(k, false)) };
      case 'GetBuckets':
        return this.getBuckets(input);
      case 'GetOperation':
        return { operation: this.wireOperation(this.operationOrThrow(input)) };
      default:
        throw lightsailError('UnknownOperationException', `The fake does not implement ${operation}`);
    }
  }

  private createBucketAccessKey(input: JsonObject): JsonObject {
    const bucket = this.bucketOrThrow(input);
    this.assertFreeSlot(bucket);
    const key: StoredKey = {
      bucketName: bucket.name,
      accessKeyId: 'AKIA' + randomString(KEY_ID_ALPHABET, 16),
      // 30 random bytes are exactly 40 base64 characters.
      secretAccessKey: randomBytes(30).toString('base64'),
      status: 'Active',
      createdAt: new Date(),
    };
    this.everGenerated.push(key.secretAccessKey);
    // A deferred creation holds no slot until it is applied, and fails then if the bucket has filled meanwhile, or
    // is gone.
    const operation = this.operate('CreateBucketAccessKey', bucket, key.accessKeyId, () => {
      if (this.buckets.get(bucket.name) !== bucket) throw notFound(`The bucket ${bucket.name} does not exist.`);
      this.assertFreeSlot(bucket);
      bucket.keys.push(key);
    });
    return { accessKey: wireKey(key, true), operations: [operation] };
  }

  private assertFreeSlot(bucket: StoredBucket): void {
    if (bucket.keys.length >= MAX_KEYS_PER_BUCKET) {
      // The limit of two is documented; the error type and code for a third key are
      // UNVERIFIED. InvalidInputException is a guess: callers must not rely on it.
      throw lightsailError(
        'InvalidInputException',
        `You can have a maximum of ${MAX_KEYS_PER_BUCKET} access keys per bucket.`,
        { code: 'InvalidInput' },
      );
    }
  }

  private deleteBucketAccessKey(input: JsonObject): JsonObject {
    const bucket = this.bucketOrThrow(input);
    const accessKeyId = requiredString(input, 'accessKeyId');
    const key = bucket.keys.find((k) => k.accessKeyId === accessKeyId);
    if (!key) {
      throw notFound(`The access key ${accessKeyId} does not exist for bucket ${bucket.name}.`);
    }
    const operation = this.operate('DeleteBucketAccessKey', bucket, accessKeyId, () => {
      bucket.keys = bucket.keys.filter((k) => k !== key);
    });
    return { operations: [operation] };
  }

  /**
   * Runs a key operation's effect at once (answered Succeeded), or, when deferred, answers Started and runs it later:
   * Succeeded if the effect took place, Failed if it threw or the deferral says so.
   */
  private operate(operationType: string, bucket: StoredBucket, accessKeyId: string, effect: () => void): JsonObject {
    const deferral = this.deferrals.find((d) => d.operationType === operationType && d.remaining > 0);
    const operation: StoredOperation = {
      id: randomUUID(),
      operationType,
      bucket,
      accessKeyId,
      status: 'Succeeded',
      statusChangedAt: new Date(),
    };
    this.operations.set(operation.id, operation);
    if (!deferral) {
      effect();
      return this.wireOperation(operation);
    }
    deferral.remaining--;
    operation.status = 'Started';
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      operation.statusChangedAt = new Date();
      try {
        if (deferral.outcome === 'Failed') throw new Error('The operation failed.');
        effect();
        operation.status = 'Succeeded';
      } catch (error) {
        operation.status = 'Failed';
        operation.errorCode = 'InternalError';
        operation.errorDetails = (error as Error).message;
      }
    }, deferral.delayMs);
    this.timers.add(timer);
    return this.wireOperation(operation);
  }

  private getBuckets(input: JsonObject): JsonObject {
    const selected = input.bucketName === undefined ? [...this.buckets.values()] : [this.bucketOrThrow(input)];
    return {
      buckets: selected.map((b) => ({
        resourceType: 'Bucket',
        name: b.name,
        arn: b.arn,
        url: b.url,
        createdAt: epochSeconds(b.createdAt),
        bundleId: 'small_1_0',
        location: { availabilityZone: 'all', regionName: this.region },
        accessRules: { getObject: 'private', allowPublicOverrides: false },
        objectVersioning: 'NotConfigured',
        ableToUpdateBundle: true,
        readonlyAccessAccounts: [],
        resourcesReceivingAccess: [],
        state: { code: 'OK' },
        tags: [],
      })),
    };
  }

  private bucketOrThrow(input: JsonObject): StoredBucket {
    const name = requiredString(input, 'bucketName');
    const bucket = this.buckets.get(name);
    if (!bucket) throw notFound(`The bucket ${name} does not exist.`);
    return bucket;
  }

  private operationOrThrow(input: JsonObject): StoredOperation {
    const id = input.operationId;
    const operation = typeof id === 'string' ? this.operations.get(id) : undefined;
    if (!operation) throw notFound(`The operation ${String(id)} does not exist.`);
    return operation;
  }

  /** An `Operation` as the SDK models it: terminal once Succeeded, Completed or Failed. */
  private wireOperation(operation: StoredOperation): JsonObject {
    return {
      id: operation.id,
      resourceName: operation.bucket.name,
      resourceType: 'Bucket',
      createdAt: epochSeconds(operation.statusChangedAt),
      location: { availabilityZone: 'all', regionName: this.region },
      isTerminal: operation.status !== 'NotStarted' && operation.status !== 'Started',
      operationDetails: operation.accessKeyId,
      operationType: operation.operationType,
      status: operation.status,
      statusChangedAt: epochSeconds(operation.statusChangedAt),
      errorCode: operation.errorCode,
      errorDetails: operation.errorDetails,
    };
  }
}

function notFound(message: string): ApiError {
  return lightsailError('NotFoundException', message, { code: 'DoesNotExist' });
}

function requiredString(input: JsonObject, member: string): string {
  const value = input[member];
  if (typeof value !== 'string' || value === '') {
    throw lightsailError('InvalidInputException', `${member} is required.`, { code: 'MissingParameter' });
  }
  return value;
}

function wireKey(key: StoredKey, withSecret: boolean): JsonObject {
  return {
    accessKeyId: key.accessKeyId,
    // The secret leaves the fake only in the CreateBucketAccessKey answer.
    secretAccessKey: withSecret ? key.secretAccessKey : undefined,
    status: key.status,
    createdAt: epochSeconds(key.createdAt),
    lastUsed: { region: 'N/A', serviceName: 'N/A' },
  };
}

function publicKeyInfo(key: StoredKey): KeyInfo {
  const { bucketName, accessKeyId, status, createdAt } = key;
  return { bucketName, accessKeyId, status, createdAt: new Date(createdAt) };
}
