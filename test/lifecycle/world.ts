/**
 * Everything a lifecycle test runs against: the AWS fakes, the Lambda and response-URL stand-ins, a simulated
 * stack, and the invariants, checked after every step.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type AwsFake, type FaultSpec, type RequestRecord, startAwsFake } from '../fakes/aws-fake';
import { ResponseEndpoint } from '../support/capture';
import { ACCOUNT, type AppSpec, REGION, STACK_NAME, assemblyRoot, synthesize } from './apps';
import { CloudFormation, type SimulatorOptions, type StackStatus } from './cloudformation';
import {
  checkNoLeak,
  checkNoOrphans,
  checkRollback,
  checkSecretsWork,
  keyResources,
  recordedKeyIds,
  snapshotKeys,
} from './invariants';
import { LambdaService, containerOf } from './lambda-service';
import { RotationService } from './secrets-manager-rotation';

export interface StepReport {
  readonly step: string;
  readonly status?: StackStatus;
  readonly violations: string[];
}

export interface SequenceOptions extends SimulatorOptions {
  /** Buckets that exist before the stack (keys reach them by name). */
  readonly externalBuckets?: readonly string[];
  /**
   * The name CloudFormation deploys the stack under, when it is not the one the app was synthesized with (a
   * StackSet instance, `aws cloudformation deploy --stack-name`).
   */
  readonly deployedStackName?: string;
}

/** Every stack CloudFormation creates gets a new id, also one created again under the name of a deleted stack. */
function newStackId(stackName: string): string {
  return `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${stackName}/${randomUUID()}`;
}

/** What became of the keys created for a handler that never saw them. */
export interface UnrecordedKeys {
  readonly total: number;
  /** Deleted with their bucket, which CloudFormation force-deletes. */
  readonly deletedWithBucket: number;
  /** Still on buckets the stack does not own (given by name). */
  readonly leftOnExternalBuckets: number;
  /** Deleted out of band by the sequence (or by the operator its error named them to). */
  readonly deletedOutOfBand: number;
  /** Never created: Lightsail answered the creation before applying it, then failed it. */
  readonly neverCreated: number;
}

export class LifecycleWorld {
  public static async start(): Promise<LifecycleWorld> {
    const fake = await startAwsFake({ region: REGION, accountId: ACCOUNT });
    const responses = await ResponseEndpoint.start();
    const lambda = new LambdaService(fake.env());
    return new LifecycleWorld(fake, responses, lambda, new RotationService(fake, lambda));
  }

  /** The stacks of this sequence: a stack deleted and deployed again is a new stack, with a new id. */
  private stacks: CloudFormation[] = [];
  /** The name the sequence's stacks are deployed under. */
  private stackName = STACK_NAME;
  /** Buckets that existed before the sequence's stacks, which no stack deletes. */
  private externalBuckets: readonly string[] = [];
  /** Simulator options for every stack of the sequence. */
  public options: SimulatorOptions = {};
  /** Every secret access key the fake generated, over all sequences. */
  public readonly allSecrets: string[] = [];
  /** Keys created for a handler that never saw them (killed first, or the answer was lost). */
  public readonly unrecordable = new Set<string>();
  /** Keys a killed handler created and had asked Lightsail to delete: unrecordable if that deletion fails. */
  private readonly deletionsOfKilled = new Set<string>();
  /** Keys deleted out of band: drift that CloudFormation cannot notice. */
  public readonly drifted = new Set<string>();
  /** Keys anyone deleted outside CloudFormation: the sequence's out-of-band step, or the operator. */
  private readonly deletedOutOfBand = new Set<string>();
  /**
   * Key secrets whose rotation completed after their custom resource was last asked (its AccessKeyId lags), with
   * when (`performance.now()`).
   */
  public readonly rotated = new Map<string, number>();
  /** Every rotation that completed, with when (`performance.now()`). */
  private readonly rotationsCompleted: Array<{ readonly secretArn: string; readonly at: number }> = [];
  public rotationFailures = 0;
  /** Why rotations failed, for reports. */
  public readonly rotationFailureReasons: string[] = [];
  /** The function that created each key, for violation reports. */
  private readonly creators = new Map<string, string>();
  /** Keys made outside the stack (an operator's), which no secret records. */
  public readonly foreignKeys = new Set<string>();
  public steps = 0;
  private outputStart = 0;
  private rotationOutcomesStart = 0;
  private responsesStart = 0;
  private crashes: Array<{ operation: string; remaining: number }> = [];
  private pauses: Array<{
    readonly operation: string;
    readonly caller: string;
    readonly matches: (input: Record<string, unknown>) => boolean;
    readonly reach: () => void;
    readonly released: Promise<void>;
  }> = [];

  private constructor(
    public readonly fake: AwsFake,
    public readonly responses: ResponseEndpoint,
    public readonly lambda: LambdaService,
    public readonly rotation: RotationService,
  ) {
    rotation.onRotated = (secretArn) => {
      this.rotated.set(secretArn, performance.now());
      this.rotationsCompleted.push({ secretArn, at: performance.now() });
    };
    this.newStack();
  }

  /** The stack being deployed: the newest of the sequence. */
  public get cfn(): CloudFormation {
    return this.stacks[this.stacks.length - 1];
  }

  /** Starts a fresh account: no buckets, keys or secrets but the external buckets, and no stack. */
  public beginSequence(options: SequenceOptions = {}): void {
    this.collectSecrets();
    this.fake.reset();
    this.unrecordable.clear();
    this.deletionsOfKilled.clear();
    this.drifted.clear();
    this.deletedOutOfBand.clear();
    this.rotated.clear();
    this.rotationsCompleted.length = 0;
    this.foreignKeys.clear();
    this.rotationFailures = 0;
    this.rotationFailureReasons.length = 0;
    this.crashes = [];
    this.pauses = [];
    this.outputStart = this.lambda.output.length;
    this.rotationOutcomesStart = this.rotation.outcomes.length;
    this.responsesStart = this.responses.responses.length;
    const { externalBuckets = [], deployedStackName = STACK_NAME, ...simulator } = options;
    this.externalBuckets = externalBuckets;
    this.stackName = deployedStackName;
    this.options = simulator;
    this.stacks = [];
    this.newStack();
    for (const name of externalBuckets) this.fake.lightsail.createBucket(name);
    // KMS judges the handlers' requests by the IAM policies deployed in the stack at that moment.
    this.fake.kms.permits = (...request) => this.cfn.kmsPermits(...request);
    // The keys each execution environment created, and those it asked Lightsail to delete, in the invocation it is
    // running; and which function made each key.
    const createdBy = new Map<string, string[]>();
    const deleteAskedBy = new Map<string, string[]>();
    this.creators.clear();
    this.lambda.onInvocationStart = (container) => {
      createdBy.delete(container);
      deleteAskedBy.delete(container);
    };
    this.fake.afterOperation = async (record, answer) => {
      const created = (answer as { accessKey?: { accessKeyId?: string } }).accessKey?.accessKeyId;
      const container = containerOf(record.userAgent);
      if (created && container) createdBy.set(container, [...(createdBy.get(container) ?? []), created]);
      if (record.operation === 'DeleteBucketAccessKey' && container) {
        deleteAskedBy.set(container, [...(deleteAskedBy.get(container) ?? []), String(record.input.accessKeyId)]);
      }
      if (created) this.creators.set(created, (container && this.lambda.functionOf(container)) ?? record.userAgent);
      if (created && record.fault === 'dropAfterCommit') this.unrecordable.add(created);
      await this.cfn.afterOperation(record.operation);
      await this.holdIfPaused(record, container);
      const crash = this.crashes.find((c) => c.operation === record.operation && c.remaining > 0);
      if (!crash) return;
      crash.remaining--;
      // A killed handler cannot record, or clean up, a key its invocation created and had not recorded yet. Keys
      // recorded, keys it asked Lightsail to delete (which may apply that later), and keys of earlier invocations
      // are held to the invariants like any other.
      if (container && (await this.lambda.killContainerOf(record.userAgent))) {
        const recorded = recordedKeyIds(this.fake);
        const deleteAsked = new Set(deleteAskedBy.get(container));
        const onBuckets = new Set(this.fake.lightsail.allKeys().map((k) => k.accessKeyId));
        for (const id of createdBy.get(container) ?? []) {
          const exists = onBuckets.has(id) || this.fake.lightsail.isBeingCreated(id);
          if (recorded.has(id) || !exists) continue;
          if (deleteAsked.has(id)) this.deletionsOfKilled.add(id);
          else this.unrecordable.add(id);
        }
        createdBy.delete(container);
        deleteAskedBy.delete(container);
      }
    };
  }

  /** Deploys the app; then checks no orphans, working secrets (after success) and a safe rollback (after failure). */
  public async deploy(spec: AppSpec): Promise<StepReport> {
    const report = await this.deployStep(spec);
    return this.report(`deploy ${describeSpec(spec)}`, report.status, report.violations);
  }

  /**
   * Deletes the stack, then deploys the app again at once under the same stack name: a new stack (a new stack id),
   * while what the first one retained is still there and its secrets' force deletion may not have finished.
   */
  public async redeployAfterDelete(spec: AppSpec): Promise<StepReport> {
    const teardown = await this.teardownStep();
    const deploy = await this.deployStep(spec);
    return this.report(`delete the stack, then deploy ${describeSpec(spec)} again at once`, deploy.status, [
      ...teardown.violations.map((v) => `delete: ${v}`),
      ...deploy.violations,
    ]);
  }

  /**
   * `alongside` runs with the deploy (a rotation window): the invariants are checked once it ended too, since a key a
   * rotation created is recorded only once its PutSecretValue lands.
   */
  private async deployStep(
    spec: AppSpec,
    alongside?: Promise<unknown>,
  ): Promise<{ status: StackStatus; violations: string[] }> {
    const { template, assemblyDir } = synthesize(spec);
    // A stack whose creation failed cannot be updated: the CDK CLI deletes it and creates it again (a new stack).
    if (this.cfn.status === 'ROLLBACK_COMPLETE' || this.cfn.status === 'ROLLBACK_FAILED') {
      await this.cfn.deleteStack();
      this.newStack();
    } else if (this.cfn.status === 'DELETE_COMPLETE') this.newStack();
    const before = snapshotKeys(this.fake, this.cfn);
    const started = performance.now();
    const status = await this.cfn.deploy(template, assemblyDir);
    await alongside;
    await this.settle();
    const violations = this.commonChecks();
    const rotated = new Set(this.rotated.keys());
    if (status === 'CREATE_COMPLETE' || status === 'UPDATE_COMPLETE' || status === 'UPDATE_ROLLBACK_COMPLETE') {
      violations.push(...checkSecretsWork(this.fake, this.cfn, this.drifted, rotated));
    }
    if (status === 'UPDATE_ROLLBACK_COMPLETE') {
      // A rotation that completed while the deploy ran changed the key legitimately.
      const rotatedMeanwhile = this.rotationsCompleted.filter((r) => r.at > started).map((r) => r.secretArn);
      violations.push(...checkRollback(this.fake, this.cfn, before, this.drifted, new Set(rotatedMeanwhile)));
    }
    // A rollback that cannot complete leaves the stack for an operator to repair: never acceptable.
    if (status === 'UPDATE_ROLLBACK_FAILED' || status === 'ROLLBACK_FAILED') {
      violations.push(`the rollback failed: ${this.lastFailures()}`);
    }
    return { status, violations };
  }

  /** Deletes the stack; afterwards no key may remain but retained ones and keys no handler ever saw. */
  public async teardown(): Promise<StepReport> {
    const { status, violations } = await this.teardownStep();
    return this.report('teardown', status, violations);
  }

  private async teardownStep(alongside?: Promise<unknown>): Promise<{ status: StackStatus; violations: string[] }> {
    const status = await this.cfn.deleteStack();
    await alongside;
    await this.settle();
    const violations = this.commonChecks();
    if (status !== 'DELETE_COMPLETE') violations.push(`the stack could not be deleted: ${this.lastFailures()}`);
    return { status, violations };
  }

  /**
   * Keys that no handler ever saw (their creator was killed, or the answer lost) hold a bucket's slot. The
   * handler's errors name them; the operator deletes them. Returns whether there were any.
   */
  public operatorDeletesUnrecordedKeys(): boolean {
    const leftovers = this.fake.lightsail.allKeys().filter((k) => this.unrecordable.has(k.accessKeyId));
    for (const key of leftovers) {
      this.fake.lightsail.deleteKeyOutOfBand(key.bucketName, key.accessKeyId);
      this.deletedOutOfBand.add(key.accessKeyId);
    }
    return leftovers.length > 0;
  }

  /** What became of the keys that no handler ever saw, in this sequence so far. */
  public unrecordedKeys(): UnrecordedKeys {
    const withBucket = new Set(this.stacks.flatMap((s) => s.keysDeletedWithBuckets));
    const left = this.fake.lightsail.allKeys().filter((k) => this.unrecordable.has(k.accessKeyId));
    return {
      total: this.unrecordable.size,
      deletedWithBucket: [...this.unrecordable].filter((id) => withBucket.has(id)).length,
      leftOnExternalBuckets: left.filter((k) => this.externalBuckets.includes(k.bucketName)).length,
      deletedOutOfBand: [...this.unrecordable].filter((id) => this.deletedOutOfBand.has(id)).length,
      neverCreated: [...this.unrecordable].filter((id) => this.fake.lightsail.creationFailed(id)).length,
    };
  }

  /**
   * A key no handler saw can only be on a bucket, or gone with its bucket, or deleted outside CloudFormation, or
   * never created (its creation failed after Lightsail answered): a handler deletes only keys a lineage recorded,
   * never one it merely finds on a bucket.
   */
  private checkUnrecordedAccounted(): string[] {
    const withBucket = new Set(this.stacks.flatMap((s) => s.keysDeletedWithBuckets));
    const onBuckets = new Set(this.fake.lightsail.allKeys().map((k) => k.accessKeyId));
    const accounted = (id: string) =>
      onBuckets.has(id) ||
      withBucket.has(id) ||
      this.deletedOutOfBand.has(id) ||
      this.fake.lightsail.creationFailed(id);
    return [...this.unrecordable]
      .filter((id) => !accounted(id))
      .map((id) => `key ${id}, which no handler saw, was deleted by a handler`);
  }

  /** The rotation windows that ended in this sequence. */
  public rotationOutcomes() {
    return this.rotation.outcomes.slice(this.rotationOutcomesStart);
  }

  /** Custom resource Creates CloudFormation cancelled in this sequence. */
  public cancelledCreates(): number {
    return this.stacks.flatMap((s) => s.events).filter((e) => e.failure === 'Resource creation cancelled').length;
  }

  /** Waits for every invocation still running, on every stack of the sequence. */
  public async settle(): Promise<void> {
    await this.rotation.settle();
    for (const stack of this.stacks) await stack.settle();
    await this.rotation.settle();
    // Lightsail applies what it answered early within seconds, long before anyone looks again.
    await this.fake.lightsail.pendingOperationsApplied();
    // A deletion a killed handler asked for that then failed leaves a key nobody can know.
    const onBuckets = new Set(this.fake.lightsail.allKeys().map((k) => k.accessKeyId));
    for (const id of this.deletionsOfKilled) if (onBuckets.has(id)) this.unrecordable.add(id);
    this.deletionsOfKilled.clear();
  }

  private lastFailures(): string {
    return this.cfn.texts().slice(-3).join(' | ');
  }

  /**
   * Holds the next call of `operation` made by a function whose ARN contains `caller` (and whose input `matches`)
   * right after it took effect, before its caller sees the answer, until `release()`: a scenario interleaves a
   * rotation and a stack operation with it. `reached` resolves when the call is held.
   */
  public pauseAfter(
    operation: string,
    caller: 'RotationHandler' | 'ProviderHandler',
    matches: (input: Record<string, unknown>) => boolean = () => true,
  ): { reached: Promise<void>; release: () => void } {
    let reach = () => {};
    let release = () => {};
    const reached = new Promise<void>((resolve) => (reach = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.pauses.push({ operation, caller, matches, reach, released });
    return { reached, release };
  }

  private async holdIfPaused(record: RequestRecord, container: string | undefined): Promise<void> {
    const fn = (container && this.lambda.functionOf(container)) || '';
    const pause = this.pauses.find(
      (p) => p.operation === record.operation && fn.includes(p.caller) && p.matches(record.input),
    );
    if (!pause) return;
    this.pauses = this.pauses.filter((p) => p !== pause);
    pause.reach();
    await pause.released;
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
      this.deletedOutOfBand.add(key.accessKeyId);
    }
    return this.report(`delete key ${key?.accessKeyId ?? '(none)'} out of band`, undefined, this.commonChecks());
  }

  /**
   * A rotation window of every secret whose rotation is on (Secrets Manager rotates on its own schedule): the rotation
   * left incomplete is reattempted with its own token, otherwise a new one starts (secrets-manager-rotation.ts).
   */
  public async rotateAll(): Promise<StepReport> {
    const { rotated, failures } = await this.rotationWindow();
    return this.report(`rotate ${rotated} keys`, undefined, [...this.commonChecks(), ...failures]);
  }

  /**
   * A rotation window that runs while the stack is deployed or deleted: Secrets Manager rotates on its schedule,
   * whatever CloudFormation does. The rotations start `delayMs` after the stack operation; the invariants are checked
   * once both are done.
   */
  public async rotateWhile(operation: { deploy: AppSpec } | 'teardown', delayMs: number): Promise<StepReport> {
    const window = delay(delayMs).then(() => this.rotationWindow());
    const step =
      operation === 'teardown' ? await this.teardownStep(window) : await this.deployStep(operation.deploy, window);
    const { rotated, failures } = await window;
    const what = operation === 'teardown' ? 'teardown' : `deploy ${describeSpec(operation.deploy)}`;
    return this.report(`${what}, while ${rotated} keys rotate`, step.status, [...step.violations, ...failures]);
  }

  /** Rotates every secret whose rotation is on; returns how many, and the failures no error explains. */
  private async rotationWindow(): Promise<{ rotated: number; failures: string[] }> {
    const secrets = this.rotation.rotatingSecrets();
    const outcomes = await Promise.all(secrets.map((arn) => this.rotation.rotateOnSchedule(arn)));
    const failures = outcomes.flatMap((o) => (o?.failure ? [o.failure] : []));
    this.rotationFailures += failures.length;
    this.rotationFailureReasons.push(...failures);
    return { rotated: secrets.length, failures: unexplainedRotationFailures(failures) };
  }

  /** Time passes beyond every grace period (at most 1,000 days), and the hourly schedule invokes its target. */
  public async expireGracePeriods(): Promise<StepReport> {
    const rules = [...this.cfn.resources.values()].filter((r) => r.definition.Type === 'AWS::Events::Rule');
    for (const secret of this.fake.secrets.all()) this.fake.secrets.backdate(secret.arn, 1001 * 24 * 3600 * 1000);
    for (const rule of rules) {
      const target = (rule.properties.Targets as Array<{ Arn: string; Input: string }>)[0];
      await this.lambda.invokeSync(target.Arn, JSON.parse(target.Input));
    }
    return this.report('grace periods end', undefined, this.commonChecks());
  }

  /** An operator creates a key on a bucket outside the stack (it holds a slot; no secret records it). */
  public createForeignKey(bucketName: string): StepReport {
    const key = this.fake.lightsail.createKeyOutOfBand(bucketName);
    if (key) this.foreignKeys.add(key);
    return this.report(
      `an operator creates key ${key ?? '(none: no slot)'} on ${bucketName}`,
      undefined,
      this.commonChecks(),
    );
  }

  /** The operator deletes the keys they made outside the stack. */
  public deleteForeignKeys(): StepReport {
    for (const key of this.fake.lightsail.allKeys().filter((k) => this.foreignKeys.has(k.accessKeyId))) {
      this.fake.lightsail.deleteKeyOutOfBand(key.bucketName, key.accessKeyId);
    }
    return this.report('the operator deletes the keys they made', undefined, this.commonChecks());
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

  /** The invariants that hold between steps, checked now (after a scenario released what it paused). */
  public async checkInvariants(): Promise<string[]> {
    await this.settle();
    return this.commonChecks();
  }

  /** Everything the system under test printed or answered in this sequence. */
  public outputs(): string[] {
    return [
      ...this.lambda.output.slice(this.outputStart),
      ...this.responses.responses.slice(this.responsesStart).map((r) => r.raw),
      ...this.stacks.flatMap((s) => s.texts()),
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
    await this.settle();
    await this.lambda.close();
    await this.responses.close();
    await this.fake.close();
  }

  private newStack(): void {
    const cfn = new CloudFormation(
      this.fake,
      this.lambda,
      this.responses,
      { stackName: this.stackName, stackId: newStackId(this.stackName), region: REGION, accountId: ACCOUNT },
      this.rotation,
    );
    // Options set on the world apply to every stack of the sequence (the object is shared on purpose).
    this.options.lambdaTimeoutMs ??= 60_000;
    cfn.options = this.options;
    // An answer read after a rotation completed reports the rotated key.
    cfn.onCustomAnswer = (resource, requestedAt) => {
      if ((this.rotated.get(resource.physicalId) ?? Infinity) < requestedAt) this.rotated.delete(resource.physicalId);
    };
    this.stacks.push(cfn);
  }

  private commonChecks(): string[] {
    return [
      ...checkNoOrphans(this.fake, new Set([...this.unrecordable, ...this.foreignKeys])).violations.map((v) => {
        const key = /orphan key (\w+)/.exec(v)?.[1];
        if (!key) return v;
        const creator = this.creators.has(key) ? ` (created by ${this.creators.get(key)})` : '';
        return `${v}${creator}; ${this.trailOf(key)}`;
      }),
      ...this.checkUnrecordedAccounted(),
      ...checkNoLeak(this.outputs(), this.fake.generatedSecrets()),
    ];
  }

  /** For a violation that names a key: every call that named it, and every rotation that failed naming it. */
  private trailOf(accessKeyId: string): string {
    const caller = (r: RequestRecord) => {
      const container = containerOf(r.userAgent);
      const fn = (container && this.lambda.functionOf(container)) || r.userAgent;
      return /(ProviderHandler|RotationHandler)/.exec(fn)?.[1] ?? 'test';
    };
    const calls = this.fake.requests
      .filter((r) => JSON.stringify(r.input).includes(accessKeyId))
      .map((r) => `${r.operation} by ${caller(r)}: ${r.status}${r.fault ? ` (${r.fault})` : ''}`);
    const rotations = this.rotation.outcomes
      .filter((o) => o.failure?.includes(accessKeyId))
      .map((o) => `rotation ${o.token} failed: ${o.failure}`);
    return `its trail: ${[...calls, ...rotations].join(' | ') || 'no call named it'}`;
  }

  private report(step: string, status: StackStatus | undefined, violations: string[]): StepReport {
    this.steps++;
    // Between steps, time passes: Secrets Manager finishes the force deletions of this one.
    this.fake.secrets.finishDeletions();
    return { step, status, violations };
  }

  private collectSecrets(): void {
    for (const secret of this.fake.generatedSecrets())
      if (!this.allSecrets.includes(secret)) this.allSecrets.push(secret);
  }
}

/**
 * Rotation failures a rotation may end with, each explained by its error: no free slot (a key the stack does not
 * record holds it), the key's lineage closed or rotation turned off while it ran, a Lightsail operation that failed.
 * Anything else must complete when Secrets Manager retries it.
 */
const EXPLAINED_ROTATION_FAILURES = [
  'already has 2 access keys',
  'cancelled',
  'was closed',
  'rotation is turned off',
  'was ended',
  'Lightsail operation',
];

function unexplainedRotationFailures(failures: readonly string[]): string[] {
  return failures
    .filter((f) => !EXPLAINED_ROTATION_FAILURES.some((reason) => f.includes(reason)))
    .map((f) => `a rotation failed: ${f}`);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function describeSpec(spec: AppSpec): string {
  const keys = spec.keys.map((k) => `${k.id}@${k.bucket}#${k.serial ?? 0}${k.retain ? ':retain' : ''}`).join(',');
  return `[${keys}]${spec.failAfterKeys ? ' then fail' : ''}`;
}
