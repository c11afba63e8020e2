/**
 * Everything a lifecycle test runs against: the AWS fakes, the Lambda and response-URL stand-ins, a simulated
 * stack, and the invariants, checked after every step.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type AwsFake, type FaultSpec, startAwsFake } from '../fakes/aws-fake';
import { ResponseEndpoint } from '../support/capture';
import { ACCOUNT, type AppSpec, REGION, STACK_NAME, assemblyRoot, synthesize } from './apps';
import { CloudFormation, type SimulatorOptions, type StackStatus } from './cloudformation';
import { checkNoLeak, checkNoOrphans, checkRollback, checkSecretsWork, keyResources, snapshotKeys } from './invariants';
import { LambdaService } from './lambda-service';

export interface StepReport {
  readonly step: string;
  readonly status?: StackStatus;
  readonly violations: string[];
}

export interface SequenceOptions extends SimulatorOptions {
  /** Buckets that exist before the stack (keys reach them by name). */
  readonly externalBuckets?: readonly string[];
}

const STACK_ID = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${STACK_NAME}/00000000-1111-2222-3333-444455556666`;

export class LifecycleWorld {
  public static async start(): Promise<LifecycleWorld> {
    const fake = await startAwsFake({ region: REGION, accountId: ACCOUNT });
    const responses = await ResponseEndpoint.start();
    return new LifecycleWorld(fake, responses, new LambdaService(fake.env()));
  }

  public cfn: CloudFormation;
  /** Every secret access key the fake generated, over all sequences. */
  public readonly allSecrets: string[] = [];
  /** Keys created for a handler that never saw them (killed first, or the answer was lost). */
  public readonly unrecordable = new Set<string>();
  /** Keys deleted out of band: drift that CloudFormation cannot notice. */
  public readonly drifted = new Set<string>();
  /** Key constructs (logical id prefixes) rotated since their custom resource last answered a deploy. */
  public readonly rotated = new Set<string>();
  public rotationFailures = 0;
  /** Why rotations failed, for reports. */
  public readonly rotationFailureReasons: string[] = [];
  public steps = 0;
  private outputStart = 0;
  private responsesStart = 0;
  private crashes: Array<{ operation: string; remaining: number }> = [];

  private constructor(
    public readonly fake: AwsFake,
    public readonly responses: ResponseEndpoint,
    public readonly lambda: LambdaService,
  ) {
    this.cfn = this.newStack({});
  }

  /** Starts a fresh account: no buckets, keys or secrets but the external buckets, and no stack. */
  public beginSequence(options: SequenceOptions = {}): void {
    this.collectSecrets();
    this.fake.reset();
    this.unrecordable.clear();
    this.drifted.clear();
    this.rotated.clear();
    this.rotationFailures = 0;
    this.rotationFailureReasons.length = 0;
    this.crashes = [];
    this.outputStart = this.lambda.output.length;
    this.responsesStart = this.responses.responses.length;
    this.cfn = this.newStack(options);
    for (const name of options.externalBuckets ?? []) this.fake.lightsail.createBucket(name);
    const createdBy = new Map<string, string[]>();
    this.fake.afterOperation = async (record, answer) => {
      const created = (answer as { accessKey?: { accessKeyId?: string } }).accessKey?.accessKeyId;
      if (created) createdBy.set(record.userAgent, [...(createdBy.get(record.userAgent) ?? []), created]);
      if (created && record.fault === 'dropAfterCommit') this.unrecordable.add(created);
      const crash = this.crashes.find((c) => c.operation === record.operation && c.remaining > 0);
      if (!crash) return;
      crash.remaining--;
      // A killed handler cannot record, or clean up, any key it created.
      if (await this.lambda.killContainerOf(record.userAgent)) {
        for (const id of createdBy.get(record.userAgent) ?? []) this.unrecordable.add(id);
      }
    };
  }

  /** Deploys the app; then checks no orphans, working secrets (after success) and a safe rollback (after failure). */
  public async deploy(spec: AppSpec): Promise<StepReport> {
    const { template, assemblyDir } = synthesize(spec);
    const before = snapshotKeys(this.fake, this.cfn);
    if (this.cfn.status === 'ROLLBACK_FAILED') await this.cfn.deleteStack();
    const eventsBefore = this.cfn.events.length;
    const status = await this.cfn.deploy(template, assemblyDir);
    await this.cfn.settle();
    // A custom resource that answered in this deploy reports the current key again.
    for (const e of this.cfn.events.slice(eventsBefore)) {
      if (!e.failure)
        for (const id of this.rotated)
          if (e.logicalId.startsWith(id) && e.action.startsWith('UPDATE')) this.rotated.delete(id);
    }
    const violations = this.commonChecks();
    if (status === 'CREATE_COMPLETE' || status === 'UPDATE_COMPLETE' || status === 'UPDATE_ROLLBACK_COMPLETE') {
      violations.push(...checkSecretsWork(this.fake, this.cfn, this.drifted, this.rotated));
    }
    if (status === 'UPDATE_ROLLBACK_COMPLETE') {
      violations.push(...checkRollback(this.fake, this.cfn, before, this.drifted));
    }
    if (status === 'ROLLBACK_FAILED' && this.operatorDeletesUnrecordedKeys()) {
      // The handler's errors named the keys; the operator deleted them, then the failed stack.
      const deleted = await this.cfn.deleteStack();
      if (deleted !== 'DELETE_COMPLETE')
        violations.push(`the failed stack could not be deleted: ${this.lastFailures()}`);
    } else if (status === 'UPDATE_ROLLBACK_FAILED' && this.operatorDeletesUnrecordedKeys()) {
      // They held the slot a restored lineage needed; the operator deleted them and continued the rollback.
      if (!(await this.cfn.continueRollback())) violations.push(`the rollback failed: ${this.lastFailures()}`);
      else violations.push(...checkRollback(this.fake, this.cfn, before, this.drifted));
    } else if (status === 'UPDATE_ROLLBACK_FAILED' || status === 'ROLLBACK_FAILED') {
      violations.push(`the rollback failed: ${this.lastFailures()}`);
    }
    return this.report(`deploy ${describeSpec(spec)}`, status, violations);
  }

  /** Deletes the stack; afterwards no key may remain but retained ones and keys no handler ever saw. */
  public async teardown(): Promise<StepReport> {
    let status = await this.cfn.deleteStack();
    await this.cfn.settle();
    const violations = this.commonChecks();
    if (status !== 'DELETE_COMPLETE' && this.operatorDeletesUnrecordedKeys()) status = await this.cfn.deleteStack();
    if (status !== 'DELETE_COMPLETE') violations.push(`the stack could not be deleted: ${this.lastFailures()}`);
    return this.report('teardown', status, violations);
  }

  /**
   * Keys that no handler ever saw (their creator was killed, or the answer lost) hold a bucket's slot or keep
   * CloudFormation from deleting the bucket. The handler's errors name them; the operator deletes them. Returns
   * whether there were any.
   */
  public operatorDeletesUnrecordedKeys(): boolean {
    const leftovers = this.fake.lightsail.allKeys().filter((k) => this.unrecordable.has(k.accessKeyId));
    for (const key of leftovers) this.fake.lightsail.deleteKeyOutOfBand(key.bucketName, key.accessKeyId);
    return leftovers.length > 0;
  }

  private lastFailures(): string {
    return this.cfn.texts().slice(-3).join(' | ');
  }

  /** Lambda is killed right after the next `times` calls of `operation` took effect, before it sees the answer. */
  public crashAfter(operation: string, times = 1): void {
    this.crashes.push({ operation, remaining: times });
  }

  /** Disarms crashes that did not happen (their operation was not called). */
  public clearCrashes(): void {
    this.crashes = [];
  }

  public inject(fault: FaultSpec): void {
    this.fake.faults.inject(fault);
  }

  public deleteKeyOutOfBand(): StepReport {
    const key = this.fake.lightsail.allKeys()[0];
    if (key) {
      this.fake.lightsail.deleteKeyOutOfBand(key.bucketName, key.accessKeyId);
      this.drifted.add(key.accessKeyId);
    }
    return this.report(`delete key ${key?.accessKeyId ?? '(none)'} out of band`, undefined, this.commonChecks());
  }

  /**
   * Secrets Manager rotates every rotating key's secret: the four steps in order, each a synchronous invocation of
   * the rotation function; a failed step fails the attempt, and Secrets Manager tries the rotation again with the
   * same token (up to three attempts here).
   */
  public async rotateAll(): Promise<StepReport> {
    const schedules = [...this.cfn.resources.values()].filter(
      (r) => r.definition.Type === 'AWS::SecretsManager::RotationSchedule',
    );
    const failures: string[] = [];
    for (const schedule of schedules) {
      const secretArn = String(schedule.properties.SecretId);
      const functionArn = String(schedule.properties.RotationLambdaARN);
      const token = randomUUID();
      let failure: string | undefined;
      for (let attempt = 1; attempt <= 3; attempt++) {
        failure = undefined;
        for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) {
          failure = await this.lambda.invokeSync(functionArn, {
            SecretId: secretArn,
            ClientRequestToken: token,
            Step: step,
          });
          if (failure) break;
        }
        if (!failure) break;
      }
      if (failure) failures.push(failure);
      else this.rotated.add(schedule.logicalId.replace(/RotationSchedule.*$/, ''));
    }
    this.rotationFailures += failures.length;
    this.rotationFailureReasons.push(...failures);
    // A rotation may only fail for want of a slot, which its error explains (a key left by a killed handler, or a
    // retained key of an earlier lineage, holds it); anything else must complete when Secrets Manager retries it.
    const unexplained = failures.filter((f) => !f.includes('already has 2 access keys'));
    const violations = [...this.commonChecks(), ...unexplained.map((f) => `a rotation failed: ${f}`)];
    return this.report(`rotate ${schedules.length} keys`, undefined, violations);
  }

  /** Time passes beyond every grace period, and the hourly schedule asks the rotation handler to end them. */
  public async expireGracePeriods(): Promise<StepReport> {
    const rules = [...this.cfn.resources.values()].filter((r) => r.definition.Type === 'AWS::Events::Rule');
    for (const rule of rules) {
      const target = (rule.properties.Targets as Array<{ Arn: string; Input: string }>)[0];
      const input = JSON.parse(target.Input) as {
        expireGracePeriods: Array<{ secretArn: string; gracePeriodSeconds: number }>;
      };
      for (const g of input.expireGracePeriods) this.fake.secrets.backdate(g.secretArn, g.gracePeriodSeconds * 1000);
      await this.lambda.invokeSync(target.Arn, input);
    }
    return this.report('grace periods end', undefined, this.commonChecks());
  }

  /** Schedules a key secret for deletion out of band (someone deleting it in the console). */
  public scheduleSecretDeletionOutOfBand(): StepReport {
    const resource = keyResources(this.cfn)[0];
    if (resource) this.fake.secrets.scheduleDeletionOutOfBand(resource.physicalId);
    return this.report(
      `schedule secret of ${resource?.logicalId ?? '(none)'} for deletion`,
      undefined,
      this.commonChecks(),
    );
  }

  /** Everything the system under test printed or answered in this sequence. */
  public outputs(): string[] {
    return [
      ...this.lambda.output.slice(this.outputStart),
      ...this.responses.responses.slice(this.responsesStart).map((r) => r.raw),
      ...this.cfn.texts(),
    ];
  }

  /** Invariant 3 over the synthesized cloud assemblies (templates, manifests and the handler asset). */
  public checkAssembliesForLeaks(): string[] {
    this.collectSecrets();
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else files.push(fs.readFileSync(full, 'utf8'));
      }
    };
    walk(assemblyRoot());
    return checkNoLeak(files, this.allSecrets);
  }

  public async close(): Promise<void> {
    await this.cfn.settle();
    await this.lambda.close();
    await this.responses.close();
    await this.fake.close();
  }

  private newStack(options: SimulatorOptions): CloudFormation {
    const cfn = new CloudFormation(this.fake, this.lambda, this.responses, {
      stackName: STACK_NAME,
      stackId: STACK_ID,
      region: REGION,
      accountId: ACCOUNT,
    });
    cfn.options = { lambdaTimeoutMs: 60_000, ...options };
    return cfn;
  }

  private commonChecks(): string[] {
    return [
      ...checkNoOrphans(this.fake, this.unrecordable).violations,
      ...checkNoLeak(this.outputs(), this.fake.generatedSecrets()),
    ];
  }

  private report(step: string, status: StackStatus | undefined, violations: string[]): StepReport {
    this.steps++;
    return { step, status, violations };
  }

  private collectSecrets(): void {
    for (const secret of this.fake.generatedSecrets())
      if (!this.allSecrets.includes(secret)) this.allSecrets.push(secret);
  }
}

export function describeSpec(spec: AppSpec): string {
  const keys = spec.keys.map((k) => `${k.id}@${k.bucket}#${k.serial ?? 0}${k.retain ? ':retain' : ''}`).join(',');
  return `[${keys}]${spec.failAfterKeys ? ' then fail' : ''}`;
}
