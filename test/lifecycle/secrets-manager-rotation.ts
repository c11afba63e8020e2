/**
 * Secrets Manager's rotation service, as the simulator runs it (test/lifecycle/README.md lists each behaviour with its
 * source): RotateSecret starts a rotation asynchronously, with the empty AWSPENDING version first; the rotation
 * function's four steps run one at a time, each a synchronous invocation; a failed rotation is reattempted with its
 * own token and stays incomplete (AWSPENDING on its version) until one attempt completes; RotateSecret with
 * RotateImmediately false only runs testSecret on a copy of the current value; CancelRotateSecret stops further steps
 * but not a step that is running.
 */
import { ROTATION_STEPS } from '../../lib/contract';
import type { AwsFake } from '../fakes/aws-fake';
import { incompleteRotation } from '../fakes/secrets-manager';
import type { LambdaService } from './lambda-service';

/** How often Secrets Manager tries one rotation before it leaves it incomplete until the next window. */
export const ATTEMPTS_PER_WINDOW = 3;

export interface RotationSettings {
  readonly lambdaArn: string;
  readonly scheduleExpression?: string;
  /** RotateImmediately: rotate now, or only test the configuration. */
  readonly immediately: boolean;
}

/** What became of one rotation attempt window. */
export interface RotationOutcome {
  readonly secretArn: string;
  readonly token: string;
  /** The last attempt's error, or 'cancelled' when rotation was turned off between steps. */
  readonly failure?: string;
}

export class RotationService {
  /** Rotations running in the background (started by RotateSecret), for settle(). */
  private readonly running = new Set<Promise<RotationOutcome>>();
  /** The secrets whose rotation runs now: Secrets Manager runs one rotation of a secret at a time. */
  private readonly rotating = new Set<string>();
  /** Every rotation window that ended, in order. */
  public readonly outcomes: RotationOutcome[] = [];
  /** Called when a rotation completed (finishSecret succeeded). */
  public onRotated?: (secretArn: string) => void;

  constructor(
    private readonly fake: AwsFake,
    private readonly lambda: LambdaService,
  ) {}

  /**
   * RotateSecret with the given settings, as CloudFormation's RotationSchedule calls it when it is created or
   * updated. Throws what RotateSecret or the configuration test answered; a rotation it starts runs in the background.
   */
  public async rotateSecret(secretArn: string, settings: RotationSettings): Promise<void> {
    const token = this.fake.secrets.rotateSecret(secretArn, { ...settings });
    if (!settings.immediately) {
      const failure = await this.invoke(settings.lambdaArn, secretArn, token, 'testSecret');
      this.fake.secrets.endRotationTest(secretArn, token);
      if (failure) throw new Error(`The rotation configuration test failed: ${failure}`);
      return;
    }
    this.background(this.attempt(secretArn, token));
  }

  /**
   * A scheduled rotation window of one secret whose rotation is on and not running: the incomplete rotation
   * reattempted with its own token, or a new one.
   */
  public async rotateOnSchedule(secretArn: string): Promise<RotationOutcome | undefined> {
    const secret = this.fake.secrets.get(secretArn);
    if (!secret?.rotation?.enabled || secret.deletedDate || this.rotating.has(secretArn)) return undefined;
    const token =
      incompleteRotation(secret)?.versionId ?? this.fake.secrets.rotateSecret(secretArn, { immediately: true });
    return this.attempt(secretArn, token);
  }

  /** Secrets whose rotation is on. */
  public rotatingSecrets(): string[] {
    return this.fake.secrets
      .all()
      .filter((s) => s.rotation?.enabled && !s.deletedDate)
      .map((s) => s.arn);
  }

  /** Waits for every rotation running in the background. */
  public async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private background(rotation: Promise<RotationOutcome>): void {
    this.running.add(rotation);
    void rotation.finally(() => this.running.delete(rotation));
  }

  /** Up to ATTEMPTS_PER_WINDOW runs of the four steps with the same token. */
  private async attempt(secretArn: string, token: string): Promise<RotationOutcome> {
    let failure: string | undefined;
    this.rotating.add(secretArn);
    try {
      for (let attempt = 1; attempt <= ATTEMPTS_PER_WINDOW; attempt++) {
        failure = await this.runSteps(secretArn, token);
        if (!failure || failure === 'cancelled') break;
      }
    } finally {
      this.rotating.delete(secretArn);
    }
    const outcome = { secretArn, token, failure };
    this.outcomes.push(outcome);
    if (!failure) {
      this.fake.secrets.markRotated(secretArn);
      this.onRotated?.(secretArn);
    }
    return outcome;
  }

  /** The steps in order; none starts once rotation was cancelled or the secret is gone. */
  private async runSteps(secretArn: string, token: string): Promise<string | undefined> {
    for (const step of ROTATION_STEPS) {
      const secret = this.fake.secrets.get(secretArn);
      if (!secret?.rotation?.enabled || secret.deletedDate || !secret.rotation.lambdaArn) return 'cancelled';
      const failure = await this.invoke(secret.rotation.lambdaArn, secretArn, token, step);
      if (failure) return failure;
    }
    return undefined;
  }

  private invoke(lambdaArn: string, secretArn: string, token: string, step: string): Promise<string | undefined> {
    return this.lambda.invokeSync(lambdaArn, { SecretId: secretArn, ClientRequestToken: token, Step: step });
  }
}
