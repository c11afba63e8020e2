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

const MAX_KEYS_PER_BUCKET = 2;
const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,52}[a-z0-9]$/;
// Real key ids use this base32 alphabet.
const KEY_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export class FakeLightsail {
  private readonly buckets = new Map<string, StoredBucket>();
  private readonly everGenerated: string[] = [];

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

  reset(): void {
    this.buckets.clear();
    this.everGenerated.length = 0;
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
      default:
        throw lightsailError('UnknownOperationException', `The fake does not implement ${operation}`);
    }
  }

  private createBucketAccessKey(input: JsonObject): JsonObject {
    const bucket = this.bucketOrThrow(input);
    if (bucket.keys.length >= MAX_KEYS_PER_BUCKET) {
      // The limit of two is documented; the error type and code for a third key are
      // UNVERIFIED. InvalidInputException is a guess: callers must not rely on it.
      throw lightsailError(
        'InvalidInputException',
        `You can have a maximum of ${MAX_KEYS_PER_BUCKET} access keys per bucket.`,
        { code: 'InvalidInput' },
      );
    }
    const key: StoredKey = {
      bucketName: bucket.name,
      accessKeyId: 'AKIA' + randomString(KEY_ID_ALPHABET, 16),
      // 30 random bytes are exactly 40 base64 characters.
      secretAccessKey: randomBytes(30).toString('base64'),
      status: 'Active',
      createdAt: new Date(),
    };
    bucket.keys.push(key);
    this.everGenerated.push(key.secretAccessKey);
    return { accessKey: wireKey(key, true), operations: [this.operation(bucket, 'CreateBucketAccessKey', key)] };
  }

  private deleteBucketAccessKey(input: JsonObject): JsonObject {
    const bucket = this.bucketOrThrow(input);
    const accessKeyId = requiredString(input, 'accessKeyId');
    const key = bucket.keys.find((k) => k.accessKeyId === accessKeyId);
    if (!key) {
      throw notFound(`The access key ${accessKeyId} does not exist for bucket ${bucket.name}.`);
    }
    bucket.keys = bucket.keys.filter((k) => k !== key);
    return { operations: [this.operation(bucket, 'DeleteBucketAccessKey', key)] };
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

  private operation(bucket: StoredBucket, operationType: string, key: StoredKey): JsonObject {
    const now = epochSeconds(new Date());
    return {
      id: randomUUID(),
      resourceName: bucket.name,
      resourceType: 'Bucket',
      createdAt: now,
      location: { availabilityZone: 'all', regionName: this.region },
      isTerminal: true,
      operationDetails: key.accessKeyId,
      operationType,
      status: 'Succeeded',
      statusChangedAt: now,
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
