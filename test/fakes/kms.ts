// KMS keys as Secrets Manager uses them: which key encrypts a secret version, whether that key can still be used,
// and whether the caller may use it. Secrets Manager calls KMS for its callers ("Secret encryption and decryption",
// Secrets Manager user guide), so the fake Secrets Manager asks this before it reads or writes a version.
import { randomUUID } from 'node:crypto';

/** The permission a Secrets Manager operation needs on the secret's KMS key: reads decrypt, writes generate a data key. */
export type KmsUse = 'kms:Decrypt' | 'kms:GenerateDataKey';

/**
 * Decides whether a caller (the user agent of its request) may use a customer-managed key for a secret through
 * Secrets Manager. A harness that knows the callers' IAM policies sets it; unset, everyone may.
 */
export type KmsPermission = (caller: string, use: KmsUse, keyArn: string, secretArn: string) => boolean;

type KeyState = 'Enabled' | 'PendingDeletion';

/** Why Secrets Manager could not use a key: the caller may not, or the key can no longer be used. */
export type KmsRefusal = { readonly kind: 'not allowed' } | { readonly kind: 'unusable'; readonly reason: string };

export class FakeKms {
  private readonly keys = new Map<string, KeyState>();
  public permits?: KmsPermission;

  constructor(
    private readonly region: string,
    private readonly accountId: string,
  ) {}

  /** A new customer-managed key; returns its ARN. */
  createKey(): string {
    const arn = `arn:aws:kms:${this.region}:${this.accountId}:key/${randomUUID()}`;
    this.keys.set(arn, 'Enabled');
    return arn;
  }

  /** What CloudFormation does to a removed `AWS::KMS::Key`: the key can no longer be used from now on. */
  scheduleKeyDeletion(arn: string): void {
    if (this.keys.has(arn)) this.keys.set(arn, 'PendingDeletion');
  }

  /**
   * Why Secrets Manager cannot use this key for this caller, or undefined when it can. No key is Secrets Manager's
   * AWS managed key (`aws/secretsmanager`), which every caller allowed to use the secret may use.
   */
  refusal(caller: string, use: KmsUse, keyArn: string | undefined, secretArn: string): KmsRefusal | undefined {
    if (keyArn === undefined) return undefined;
    if (this.permits && !this.permits(caller, use, keyArn, secretArn)) return { kind: 'not allowed' };
    if (this.keys.get(keyArn) === 'PendingDeletion')
      return { kind: 'unusable', reason: `${keyArn} is pending deletion` };
    return undefined;
  }

  reset(): void {
    this.keys.clear();
    this.permits = undefined;
  }
}
