/**
 * The key's secret as consumers see it (`BucketAccessKey.secret`).
 *
 * Its ARN is the custom resource's `SecretArn` attribute, so whatever uses it (a grant, an environment variable,
 * a dynamic reference) deploys after the handler wrote the key, and never reads the placeholder. A plain
 * `Secret.fromSecretAttributes` reference would do for that, but it cannot carry a resource policy (a grant to
 * another account would report success and grant nothing), and its environment, taken from an ARN token, is
 * unknown to aws-cdk-lib's same-account test. This one lives in the stack's environment and hands resource
 * policy statements to the secret CloudFormation owns, which is the same secret: grants behave as
 * `secretsmanager.Secret`'s do.
 */
import { Resource, type SecretValue, type SecretsManagerSecretOptions } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { fail } from './errors';
import { managedKeyGrantProblem } from './validation';

export class KeySecret extends Resource implements secretsmanager.ISecret {
  public readonly secretArn: string;
  public readonly secretName: string;
  public readonly encryptionKey?: kms.IKey;
  /** Everything that needs no resource policy: values, dynamic references, rotation, attachment. */
  private readonly reference: secretsmanager.ISecret;

  /**
   * @param owned the secret CloudFormation owns, which takes the resource policy statements
   * @param secretArn the custom resource's `SecretArn` attribute: the owned secret's ARN, known once the key is in it
   */
  constructor(
    scope: Construct,
    id: string,
    private readonly owned: secretsmanager.Secret,
    secretArn: string,
  ) {
    super(scope, id);
    this.encryptionKey = owned.encryptionKey;
    this.reference = secretsmanager.Secret.fromSecretAttributes(this, 'Reference', {
      secretCompleteArn: secretArn,
      encryptionKey: owned.encryptionKey,
    });
    this.secretArn = this.reference.secretArn;
    this.secretName = this.reference.secretName;
  }

  public get secretFullArn(): string {
    return this.secretArn;
  }

  public get secretRef(): secretsmanager.SecretReference {
    return this.reference.secretRef;
  }

  public get secretValue(): SecretValue {
    return this.reference.secretValue;
  }

  public secretValueFromJson(jsonField: string): SecretValue {
    return this.reference.secretValueFromJson(jsonField);
  }

  public cfnDynamicReferenceKey(options?: SecretsManagerSecretOptions): string {
    return this.reference.cfnDynamicReferenceKey(options);
  }

  /**
   * Grants reading the secret as `secretsmanager.Secret.grantRead` does: through the principal's policy within the
   * account, through the secret's resource policy otherwise, with decrypt on the customer-managed KMS key (through
   * Secrets Manager only). A principal of another account needs a customer-managed KMS key.
   */
  public grantRead(grantee: iam.IGrantable, versionStages?: string[]): iam.Grant {
    const grant = this.grant(grantee, ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], (key, p) =>
      key.grantDecrypt(p),
    );
    if (versionStages !== undefined) {
      (grant.principalStatement ?? grant.resourceStatement)?.addCondition('ForAnyValue:StringEquals', {
        'secretsmanager:VersionStage': versionStages,
      });
    }
    return grant;
  }

  /**
   * Grants writing the secret as `grantRead` grants reading it, with encrypt on the customer-managed KMS key. The
   * secret's versions record the keys to delete with it: a writer must keep the JSON the handlers write.
   */
  public grantWrite(grantee: iam.IGrantable): iam.Grant {
    const actions = [
      'secretsmanager:PutSecretValue',
      'secretsmanager:UpdateSecret',
      'secretsmanager:UpdateSecretVersionStage',
    ];
    return this.grant(grantee, actions, (key, p) => key.grantEncrypt(p));
  }

  private grant(
    grantee: iam.IGrantable,
    actions: string[],
    grantKey: (key: kms.IKey, principal: iam.IPrincipal) => void,
  ): iam.Grant {
    const grant = iam.Grant.addToPrincipalOrResource({
      grantee,
      actions,
      resourceArns: [this.secretArn],
      resource: this,
    });
    if (this.encryptionKey) {
      const region = this.stack.region;
      grantKey(
        this.encryptionKey,
        new kms.ViaServicePrincipal(`secretsmanager.${region}.amazonaws.com`, grantee.grantPrincipal),
      );
    } else if (grant.resourceStatement) {
      const problem = managedKeyGrantProblem(this.stack.account, grantee.grantPrincipal);
      // The error names the key, whose secret this is.
      if (problem) fail(this.node.scope ?? this, `${problem}.`);
    }
    return grant;
  }

  /** Adds a statement to the resource policy of the secret (an `AWS::SecretsManager::ResourcePolicy`). */
  public addToResourcePolicy(statement: iam.PolicyStatement): iam.AddToResourcePolicyResult {
    return this.owned.addToResourcePolicy(statement);
  }

  public denyAccountRootDelete(): void {
    this.owned.denyAccountRootDelete();
  }

  /**
   * Refused: the key rotates through its own `rotation` prop. A schedule added here would replace the key's rotation
   * configuration (a secret has one) or run another rotation function, which writes values the key's handlers do not
   * record keys from, so its keys would be lost track of.
   */
  public addRotationSchedule(
    id: string,
    _options: secretsmanager.RotationScheduleOptions,
  ): secretsmanager.RotationSchedule {
    return fail(
      this.node.scope ?? this,
      `its secret rotates through the key's own rotation, not secret.addRotationSchedule('${id}', ...). Give the ` +
        'BucketAccessKey the `rotation` prop (a schedule and an optional grace period) instead.',
    );
  }

  public attach(target: secretsmanager.ISecretAttachmentTarget): secretsmanager.ISecret {
    return this.reference.attach(target);
  }
}
