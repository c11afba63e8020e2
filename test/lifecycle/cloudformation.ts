/**
 * A CloudFormation stack, simulated from the documented semantics (test/lifecycle/README.md lists each behaviour
 * with its source): resources started as soon as their dependencies are complete, custom resources driven through
 * the Lambda stand-in and answered through a pre-signed URL stand-in, replacement (new physical id, old one deleted
 * at cleanup), cancellation of custom resources still running when another resource fails, update rollback (an
 * Update back to the old properties, then deletion of what the failed deploy created), stack deletion in reverse
 * dependency order, DeletionPolicy and UpdateReplacePolicy.
 *
 * Only the resource types of this project's templates are modelled; the rest are records without behaviour.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { AwsFake, KmsUse } from '../fakes/aws-fake';
import { randomString } from '../fakes/protocol';
import type { ResponseEndpoint } from '../support/capture';
import { dependents, runInDependencyOrder } from './dependency-order';
import { type PolicyStatement, allows } from './iam';
import { type LambdaService, containerOf } from './lambda-service';
import { type DeployedResource, PROVIDERS, type ProviderContext, recordOnly } from './resource-providers';
import type { RotationService } from './secrets-manager-rotation';
import {
  type ResolvedResource,
  type StackContext,
  type Template,
  type TemplateResource,
  dependenciesOf,
  resolveValue,
  stringifyScalars,
} from './template';

export type { DeployedResource } from './resource-providers';

/**
 * A resource type that exists only in test apps and fails on purpose, to make CloudFormation roll back: at once
 * (`Fail: 'true'`), or when a custom resource handler's call of an AWS operation has taken effect
 * (`FailAfterOperation: <operation>`), which is how a test makes another resource fail while a key is created.
 */
export const TRIPWIRE_TYPE = 'Simulator::Tripwire';

export type StackStatus =
  | 'CREATE_COMPLETE'
  | 'ROLLBACK_COMPLETE'
  | 'ROLLBACK_FAILED'
  | 'UPDATE_COMPLETE'
  | 'UPDATE_ROLLBACK_COMPLETE'
  | 'UPDATE_ROLLBACK_FAILED'
  | 'DELETE_COMPLETE'
  | 'DELETE_FAILED';

export interface StackEvent {
  readonly logicalId: string;
  readonly action: string;
  readonly physicalId?: string;
  readonly failure?: string;
}

export interface SimulatorOptions {
  /** Which physical id a rollback Update to a custom resource carries: the documented semantics leave it open. */
  rollbackPhysicalId?: 'old' | 'new';
  /** How many times Lambda delivers each custom resource event (at-least-once delivery). */
  deliveries?: number;
  /** Lambda timeout for the simulated functions, instead of the template's (keeps a hung test short). */
  lambdaTimeoutMs?: number;
}

type Action =
  | { kind: 'created'; logicalId: string }
  /** Only template attributes such as DeletionPolicy changed: CloudFormation calls nobody, a rollback restores them. */
  | { kind: 'redefined'; logicalId: string; before: DeployedResource }
  | { kind: 'updated'; logicalId: string; before: DeployedResource; attempted: Record<string, unknown> }
  | { kind: 'replaced'; logicalId: string; before: DeployedResource; after: DeployedResource };

/** A custom resource's Create or Update in progress: CloudFormation cancels it when another resource fails. */
interface CustomOperation {
  readonly kind: 'create' | 'update';
  readonly definition: TemplateResource;
  readonly properties: Record<string, unknown>;
  cancelled: boolean;
}

/** A tripwire waiting for a handler's AWS call; the handler that made it waits until the rollback released it. */
interface ArmedTripwire {
  readonly logicalId: string;
  readonly operation: string;
  readonly trip: () => void;
}

class ResourceFailure extends Error {
  /** The physical id a custom resource's FAILED answer carried, if any. */
  constructor(
    message: string,
    public readonly physicalId?: string,
  ) {
    super(message);
  }
}

export class CloudFormation {
  public readonly resources = new Map<string, DeployedResource>();
  public readonly events: StackEvent[] = [];
  public template: Template | undefined;
  public status: StackStatus | undefined;
  public options: SimulatorOptions = {};
  /**
   * Called when CloudFormation accepts a custom resource's answer to a Create or Update (a cancelled one's late answer
   * is ignored), with when it sent the request (`performance.now()`): what the answer says was read after that.
   */
  public onCustomAnswer?: (resource: DeployedResource, requestedAt: number) => void;
  /** Access key ids that went with a bucket CloudFormation deleted (it forces the deletion). */
  public readonly keysDeletedWithBuckets: string[] = [];
  private assemblyDir = '';
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly customOperations = new Map<string, CustomOperation>();
  /** Cancelled Creates whose rollback Delete has not been answered yet. */
  private readonly cancelledCreates = new Set<string>();
  private tripwires: ArmedTripwire[] = [];
  /** Handlers held at a tripped tripwire, released once the cancelled resources' Deletes were answered. */
  private held: { release: () => void; released: Promise<void> } | undefined;

  private readonly providerContext: ProviderContext;

  constructor(
    private readonly fake: AwsFake,
    private readonly lambda: LambdaService,
    private readonly responses: ResponseEndpoint,
    public readonly stack: StackContext,
    rotation: RotationService,
  ) {
    this.providerContext = { fake, lambda, rotation, stack, functionConfig: (p) => this.functionConfig(p) };
  }

  /**
   * Whether the role of the function making a request may use a KMS key for a secret through Secrets Manager, by the
   * IAM policies deployed in this stack now (iam.ts). Requests that come from no function of this stack (a test
   * harness) may.
   */
  public kmsPermits(caller: string, use: KmsUse, keyArn: string, secretArn: string): boolean {
    const container = containerOf(caller);
    const functionArn = container && this.lambda.functionOf(container);
    const fn = functionArn && [...this.resources.values()].find((r) => r.attributes.Arn === functionArn);
    if (!fn) return true;
    const role = [...this.resources.values()].find(
      (r) => r.definition.Type === 'AWS::IAM::Role' && r.attributes.Arn === fn.properties.Role,
    );
    const statements = [...this.resources.values()]
      .filter((r) => r.definition.Type === 'AWS::IAM::Policy' && [r.properties.Roles].flat().includes(role?.physicalId))
      .flatMap((r) => (r.properties.PolicyDocument as { Statement: PolicyStatement[] }).Statement);
    return allows(statements, use, keyArn, {
      'kms:ViaService': `secretsmanager.${this.stack.region}.amazonaws.com`,
      'kms:EncryptionContext:SecretARN': secretArn,
    });
  }

  /** Creates or updates the stack to the template of a synthesized assembly. */
  public async deploy(template: Template, assemblyDir: string): Promise<StackStatus> {
    if (this.status === 'ROLLBACK_FAILED') throw new Error('a stack in ROLLBACK_FAILED must be deleted first');
    const previousTemplate = this.template;
    this.assemblyDir = assemblyDir;
    const creating = previousTemplate === undefined;
    const actions: Action[] = [];
    const failure = await this.apply(template, actions);

    if (failure) {
      this.events.push({ logicalId: this.stack.stackName, action: creating ? 'CREATE' : 'UPDATE', failure });
      const rolledBack = await this.rollBack(actions, template, previousTemplate);
      if (creating) {
        this.template = rolledBack ? undefined : template;
        return (this.status = rolledBack ? 'ROLLBACK_COMPLETE' : 'ROLLBACK_FAILED');
      }
      this.template = previousTemplate;
      return (this.status = rolledBack ? 'UPDATE_ROLLBACK_COMPLETE' : 'UPDATE_ROLLBACK_FAILED');
    }

    this.template = template;
    if (!creating) await this.cleanUp(previousTemplate, template, actions);
    return (this.status = creating ? 'CREATE_COMPLETE' : 'UPDATE_COMPLETE');
  }

  /** Deletes every resource in reverse dependency order, keeping those with DeletionPolicy Retain. */
  public async deleteStack(): Promise<StackStatus> {
    if (!this.template) return (this.status = 'DELETE_COMPLETE');
    const ids = [...this.resources.keys()];
    const template = this.template;
    const run = await runInDependencyOrder(
      ids,
      dependents(ids, (id) => dependenciesOf(template, id)),
      async (id) => {
        await this.deleteResource(this.resources.get(id)!, 'Delete');
        this.resources.delete(id);
      },
    );
    // Deletions already under way finish; nothing else starts.
    await Promise.allSettled(run.running.values());
    if (run.failure) return (this.status = 'DELETE_FAILED');
    this.template = undefined;
    return (this.status = 'DELETE_COMPLETE');
  }

  /** Waits for every Lambda invocation still running (duplicates and retries continue after the first answer). */
  public async settle(): Promise<void> {
    this.releaseHeldHandlers();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Every text CloudFormation shows: resource failure reasons. */
  public texts(): string[] {
    return this.events.map((e) => e.failure ?? '').filter((t) => t !== '');
  }

  /**
   * Called after each AWS operation took effect and before its caller sees the answer. A tripwire waiting for this
   * operation fails now, which cancels the custom resources still running; the caller is held until their Deletes
   * were answered, so that the test knows where the handler was when CloudFormation gave up on it.
   */
  public async afterOperation(operation: string): Promise<void> {
    const tripwire = this.tripwires.find((t) => t.operation === operation);
    if (!tripwire) return;
    this.tripwires = this.tripwires.filter((t) => t !== tripwire);
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    this.held = { release, released };
    tripwire.trip();
    await released;
  }

  // ---- deploying ---------------------------------------------------------------------------------------------

  /** Returns the first failure, once the custom resources still running have been cancelled. */
  private async apply(template: Template, actions: Action[]): Promise<string | undefined> {
    const ids = Object.keys(template.Resources);
    const run = await runInDependencyOrder(
      ids,
      (id) => dependenciesOf(template, id),
      (id) => this.applyResource(template, id, actions),
      (running) => this.tripIfOnlyTripwiresRun(running),
    );
    this.tripwires = [];
    if (!run.failure) return undefined;
    for (const logicalId of run.running.keys()) this.cancel(logicalId, actions);
    // A resource of another type still being created or updated cannot be stopped half way: its provider finishes,
    // and the rollback undoes what it did with the rest (a tripwire still waiting stands for a later failure).
    const provided = [...run.running].filter(([id]) => PROVIDERS[template.Resources[id].Type] !== undefined);
    await Promise.allSettled(provided.map(([, work]) => work));
    const failure = run.failure as Error;
    return String(failure?.message ?? failure);
  }

  /**
   * CloudFormation cancels a custom resource whose Create or Update is still running when another resource fails,
   * and ignores its late answer. A cancelled Create gets a Delete in the rollback, under a physical id CloudFormation
   * makes up (the handler never answered with one), with the same properties; a cancelled Update gets the rollback
   * Update back to its old properties.
   */
  private cancel(logicalId: string, actions: Action[]): void {
    const operation = this.customOperations.get(logicalId);
    if (!operation) return;
    operation.cancelled = true;
    this.customOperations.delete(logicalId);
    if (operation.kind === 'update') {
      this.events.push({ logicalId, action: 'UPDATE', failure: 'Resource update cancelled' });
      return;
    }
    const physicalId = madeUpPhysicalId(this.stack.stackName, logicalId);
    this.events.push({ logicalId, action: 'CREATE', physicalId, failure: 'Resource creation cancelled' });
    const { definition, properties } = operation;
    this.resources.set(logicalId, { logicalId, definition, properties, physicalId, attributes: {} });
    this.cancelledCreates.add(logicalId);
    actions.push({ kind: 'created', logicalId });
  }

  /** A tripwire whose operation never came fails once nothing else is running: it stands for a later failure. */
  private tripIfOnlyTripwiresRun(running: ReadonlySet<string>): void {
    const waiting = this.tripwires.filter((t) => running.has(t.logicalId));
    if (waiting.length === 0 || waiting.length < running.size) return;
    this.tripwires = [];
    waiting.forEach((t) => t.trip());
  }

  private async applyResource(template: Template, logicalId: string, actions: Action[]): Promise<void> {
    const definition = template.Resources[logicalId];
    const properties = resolveValue(definition.Properties ?? {}, this.resources, this.stack, template) as Record<
      string,
      unknown
    >;
    const current = this.resources.get(logicalId);
    if (!current) {
      const operation = this.startCustomOperation(logicalId, 'create', definition, properties);
      try {
        const requestedAt = performance.now();
        const created = await this.record(logicalId, 'CREATE', () => this.create(logicalId, definition, properties));
        if (operation?.cancelled) return this.lateAnswer(logicalId, 'CREATE');
        this.resources.set(logicalId, created);
        if (operation) this.onCustomAnswer?.(created, requestedAt);
      } catch (error) {
        if (operation?.cancelled) return this.lateAnswer(logicalId, 'CREATE');
        // A custom resource whose Create failed still gets a Delete in the rollback: for the id its FAILED answer
        // carried, or for one CloudFormation makes up when no answer came (a timeout, a lost answer).
        if (operation) {
          const physicalId = (error as ResourceFailure).physicalId ?? madeUpPhysicalId(this.stack.stackName, logicalId);
          this.resources.set(logicalId, { logicalId, definition, properties, physicalId, attributes: {} });
          actions.push({ kind: 'created', logicalId });
        }
        throw error;
      } finally {
        if (operation && !operation.cancelled) this.customOperations.delete(logicalId);
      }
      actions.push({ kind: 'created', logicalId });
      return;
    }
    if (isDeepStrictEqual(properties, current.properties) && definition.Type === current.definition.Type) {
      if (!isDeepStrictEqual(definition, current.definition))
        actions.push({ kind: 'redefined', logicalId, before: current });
      this.resources.set(logicalId, { ...current, definition });
      return;
    }
    if (this.needsReplacement(current, properties)) {
      const after = await this.record(logicalId, 'CREATE (replacement)', () =>
        this.create(logicalId, definition, properties),
      );
      this.resources.set(logicalId, after);
      actions.push({ kind: 'replaced', logicalId, before: current, after });
      return;
    }
    // Recorded before the update runs: a failed or cancelled update is rolled back too.
    const action: Action = { kind: 'updated', logicalId, before: current, attempted: properties };
    actions.push(action);
    const operation = this.startCustomOperation(logicalId, 'update', definition, properties);
    try {
      const requestedAt = performance.now();
      const after = await this.record(logicalId, 'UPDATE', () => this.update(current, definition, properties));
      if (operation?.cancelled) return this.lateAnswer(logicalId, 'UPDATE');
      this.resources.set(logicalId, after);
      if (operation) this.onCustomAnswer?.(after, requestedAt);
      if (after.physicalId !== current.physicalId) {
        actions[actions.indexOf(action)] = { kind: 'replaced', logicalId, before: current, after };
      }
    } catch (error) {
      if (operation?.cancelled) return this.lateAnswer(logicalId, 'UPDATE');
      throw error;
    } finally {
      if (operation && !operation.cancelled) this.customOperations.delete(logicalId);
    }
  }

  private startCustomOperation(
    logicalId: string,
    kind: CustomOperation['kind'],
    definition: TemplateResource,
    properties: Record<string, unknown>,
  ): CustomOperation | undefined {
    if (!isCustomResource(definition.Type)) return undefined;
    const operation: CustomOperation = { kind, definition, properties, cancelled: false };
    this.customOperations.set(logicalId, operation);
    return operation;
  }

  private lateAnswer(logicalId: string, action: string): void {
    this.events.push({ logicalId, action: `${action} (cancelled: late answer ignored)` });
  }

  /** Replaced resources' old copies and removed resources go once the update succeeded, in reverse order. */
  private async cleanUp(previous: Template | undefined, template: Template, actions: Action[]): Promise<void> {
    if (!previous) return;
    const old = new Map<string, DeployedResource>();
    const replaced = new Set<string>();
    for (const a of actions) {
      if (a.kind === 'replaced') {
        old.set(a.logicalId, a.before);
        replaced.add(a.logicalId);
      }
    }
    for (const id of Object.keys(previous.Resources)) {
      if (!(id in template.Resources) && this.resources.has(id)) {
        old.set(id, this.resources.get(id)!);
        this.resources.delete(id);
      }
    }
    const ids = [...old.keys()];
    // CloudFormation reports cleanup failures but completes the update: nothing is retried, nothing stops.
    await runInDependencyOrder(
      ids,
      dependents(ids, (id) => dependenciesOf(previous, id)),
      (id) => this.deleteResource(old.get(id)!, 'Delete (cleanup)', replaced.has(id)).catch(() => undefined),
    );
  }

  // ---- rolling back ------------------------------------------------------------------------------------------

  /**
   * Updates go back to their old properties, in the old template's dependency order (a custom resource gets an
   * Update with the old properties), then what the failed deploy created goes, in reverse dependency order (the new
   * copies of replaced resources included). As in CloudFormation, a step that fails stops the rollback where it is:
   * the stack is left UPDATE_ROLLBACK_FAILED or ROLLBACK_FAILED, for an operator.
   */
  private async rollBack(actions: Action[], template: Template, previous: Template | undefined): Promise<boolean> {
    try {
      const reverts = new Map<string, Extract<Action, { kind: 'updated' | 'replaced' }>>();
      const doomed = new Map<string, DeployedResource>();
      for (const action of actions) {
        if (action.kind === 'redefined') this.resources.set(action.logicalId, action.before);
        else if (action.kind !== 'created') reverts.set(action.logicalId, action);
        const created = action.kind === 'created' ? this.resources.get(action.logicalId) : undefined;
        if (created || action.kind === 'replaced')
          doomed.set(action.logicalId, created ?? (action as { after: DeployedResource }).after);
      }
      const back = [...reverts.keys()];
      if (
        !(await this.runAll(
          back,
          (id) => (previous ? dependenciesOf(previous, id) : []),
          (id) => this.revert(reverts.get(id)!),
        ))
      ) {
        return false;
      }
      const gone = [...doomed.keys()];
      return await this.runAll(
        gone,
        dependents(gone, (id) => dependenciesOf(template, id)),
        async (id) => {
          try {
            await this.deleteResource(doomed.get(id)!, 'Delete (rollback)');
            if (!reverts.has(id)) this.resources.delete(id);
          } finally {
            // Once every cancelled Create has had its Delete answered, a handler held at the tripwire goes on.
            if (this.cancelledCreates.delete(id) && this.cancelledCreates.size === 0) this.releaseHeldHandlers();
          }
        },
      );
    } finally {
      this.releaseHeldHandlers();
    }
  }

  /** Runs the work in dependency order, waits for what is under way at a failure, and says whether all succeeded. */
  private async runAll(
    ids: string[],
    dependencies: (id: string) => Iterable<string>,
    work: (id: string) => Promise<unknown>,
  ): Promise<boolean> {
    const run = await runInDependencyOrder(ids, dependencies, async (id) => void (await work(id)));
    await Promise.allSettled(run.running.values());
    return run.failure === undefined;
  }

  private releaseHeldHandlers(): void {
    this.cancelledCreates.clear();
    this.held?.release();
    this.held = undefined;
  }

  private async revert(action: Extract<Action, { kind: 'updated' | 'replaced' }>): Promise<void> {
    const { before } = action;
    const attempted = action.kind === 'updated' ? action.attempted : action.after.properties;
    if (!isCustomResource(before.definition.Type)) {
      // The resource's provider updates it back to the old properties (a replacement's new copy is deleted later).
      const update = PROVIDERS[before.definition.Type]?.update;
      if (update && action.kind === 'updated') {
        await this.record(action.logicalId, 'UPDATE (rollback)', async () => {
          await reported(() => update(this.providerContext, { ...before, properties: attempted }, before.properties));
          return before;
        });
      }
      this.resources.set(action.logicalId, before);
      return;
    }
    const physicalId =
      this.options.rollbackPhysicalId === 'old' || action.kind === 'updated'
        ? before.physicalId
        : action.after.physicalId;
    const requestedAt = performance.now();
    const answer = await this.record(action.logicalId, 'UPDATE (rollback)', () =>
      this.invokeCustom('Update', before.definition, action.logicalId, before.properties, {
        physicalId,
        oldProperties: attempted,
      }),
    );
    const restored = { ...before, ...answer };
    this.resources.set(action.logicalId, restored);
    this.onCustomAnswer?.(restored, requestedAt);
  }

  // ---- resource types ----------------------------------------------------------------------------------------

  private needsReplacement(current: DeployedResource, properties: Record<string, unknown>): boolean {
    const replacedBy = PROVIDERS[current.definition.Type]?.replacedBy ?? [];
    return replacedBy.some((name) => !isDeepStrictEqual(properties[name], current.properties[name]));
  }

  private async create(
    logicalId: string,
    definition: TemplateResource,
    properties: Record<string, unknown>,
  ): Promise<DeployedResource> {
    const base = { logicalId, definition, properties };
    const type = definition.Type;
    if (isCustomResource(type)) {
      return { ...base, ...(await this.invokeCustom('Create', definition, logicalId, properties)) };
    }
    if (type === TRIPWIRE_TYPE) {
      await this.tripwire(logicalId, properties);
      return { ...base, physicalId: `${logicalId}-${randomUUID().slice(0, 8)}`, attributes: {} };
    }
    const provider = PROVIDERS[type];
    if (!provider) return { ...base, ...recordOnly(logicalId, this.stack) };
    // CloudFormation's resource handler reports the service's error.
    const created = await reported(() => provider.create(this.providerContext, logicalId, properties));
    return { ...base, ...created };
  }

  private async tripwire(logicalId: string, properties: Record<string, unknown>): Promise<void> {
    if (properties.Fail === 'true' || properties.Fail === true) throw new ResourceFailure('the tripwire failed');
    const operation = properties.FailAfterOperation;
    if (typeof operation !== 'string') return;
    await new Promise<never>((_, reject) =>
      this.tripwires.push({
        logicalId,
        operation,
        trip: () => reject(new ResourceFailure(`the tripwire failed (after ${operation})`)),
      }),
    );
  }

  private async update(
    current: DeployedResource,
    definition: TemplateResource,
    properties: Record<string, unknown>,
  ): Promise<DeployedResource> {
    const base = { logicalId: current.logicalId, definition, properties };
    const type = definition.Type;
    if (isCustomResource(type)) {
      const answer = await this.invokeCustom('Update', definition, current.logicalId, properties, {
        physicalId: current.physicalId,
        oldProperties: current.properties,
      });
      return { ...base, ...answer };
    }
    if (type === TRIPWIRE_TYPE) await this.tripwire(current.logicalId, properties);
    const update = PROVIDERS[type]?.update;
    if (update) await reported(() => update(this.providerContext, current, properties));
    return { ...current, ...base };
  }

  /**
   * Deletes one resource unless its policy retains it: UpdateReplacePolicy for the old copy of a replaced resource,
   * DeletionPolicy otherwise (also in a rollback: that is why CloudFormation added RetainExceptOnCreate).
   */
  private async deleteResource(resource: DeployedResource, action: string, replaced = false): Promise<void> {
    const policy = replaced ? resource.definition.UpdateReplacePolicy : resource.definition.DeletionPolicy;
    if (policy === 'Retain') {
      this.events.push({
        logicalId: resource.logicalId,
        action: `${action} skipped: Retain`,
        physicalId: resource.physicalId,
      });
      return;
    }
    await this.record(resource.logicalId, action, async () => {
      const type = resource.definition.Type;
      if (isCustomResource(type)) {
        await this.invokeCustom('Delete', resource.definition, resource.logicalId, resource.properties, {
          physicalId: resource.physicalId,
        });
        return resource;
      }
      if (type === 'AWS::Lightsail::Bucket' && this.fake.lightsail.bucketExists(resource.physicalId)) {
        this.keysDeletedWithBuckets.push(...this.fake.lightsail.keysOf(resource.physicalId).map((k) => k.accessKeyId));
      }
      const remove = PROVIDERS[type]?.delete;
      if (remove) await reported(() => remove(this.providerContext, resource));
      return resource;
    });
  }

  private functionConfig(properties: Record<string, unknown>) {
    const code = properties.Code as { S3Key?: string };
    const hash = String(code.S3Key ?? '').replace(/\.zip$/, '');
    const manifestFile = fs.readdirSync(this.assemblyDir).find((f) => f.endsWith('.assets.json'));
    const manifest = JSON.parse(fs.readFileSync(path.join(this.assemblyDir, manifestFile!), 'utf8'));
    const source = manifest.files?.[hash]?.source?.path;
    if (!source) throw new ResourceFailure(`no asset ${hash} in the cloud assembly`);
    return {
      codeDir: path.join(this.assemblyDir, source),
      handler: String(properties.Handler),
      runtime: String(properties.Runtime),
      timeoutMs: this.options.lambdaTimeoutMs ?? Number(properties.Timeout ?? 3) * 1000,
    };
  }

  // ---- custom resources --------------------------------------------------------------------------------------

  /**
   * Sends one request to a custom resource's function and waits for its answer at the pre-signed URL. Lambda may
   * run the event several times (retries, duplicate delivery); CloudFormation takes the first answer.
   */
  private async invokeCustom(
    requestType: 'Create' | 'Update' | 'Delete',
    definition: TemplateResource,
    logicalId: string,
    properties: Record<string, unknown>,
    extra: { physicalId?: string; oldProperties?: Record<string, unknown> } = {},
  ): Promise<ResolvedResource> {
    const serviceToken = String(properties.ServiceToken);
    const requestId = randomUUID();
    const event = {
      RequestType: requestType,
      ServiceToken: serviceToken,
      ResponseURL: this.responses.url(`cfn-response/${requestId}`),
      StackId: this.stack.stackId,
      RequestId: requestId,
      LogicalResourceId: logicalId,
      ResourceType: definition.Type,
      ResourceProperties: stringifyScalars(properties),
      ...(extra.oldProperties ? { OldResourceProperties: stringifyScalars(extra.oldProperties) } : {}),
      ...(extra.physicalId ? { PhysicalResourceId: extra.physicalId } : {}),
    };
    const answer = this.responses.waitFor(`cfn-response/${requestId}`);
    const invocation = this.lambda.invokeAsync(serviceToken, event, this.options.deliveries ?? 1);
    this.inFlight.add(invocation);
    void invocation.finally(() => this.inFlight.delete(invocation));

    const first = await Promise.race([answer, invocation.then(() => Promise.race([answer, delay(200)]))]);
    if (!first) {
      throw new ResourceFailure(`${logicalId}: no answer from the custom resource's function (it would time out)`);
    }
    if (first.Status !== 'SUCCESS')
      throw new ResourceFailure(first.Reason ?? 'FAILED without a reason', first.PhysicalResourceId);
    if (requestType === 'Delete') return { physicalId: first.PhysicalResourceId, attributes: {} };
    return { physicalId: first.PhysicalResourceId, attributes: { ...(first.Data ?? {}) } };
  }

  private async record<T extends ResolvedResource>(
    logicalId: string,
    action: string,
    work: () => Promise<T>,
  ): Promise<T> {
    try {
      const result = await work();
      this.events.push({ logicalId, action, physicalId: result.physicalId });
      return result;
    } catch (error) {
      this.events.push({ logicalId, action, failure: (error as Error).message });
      throw error;
    }
  }
}

function isCustomResource(type: string): boolean {
  return type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';
}

/**
 * The physical id CloudFormation gives a custom resource that never answered its Create: the stack name, the
 * logical id and a random suffix, the way it names resources (see README.md, cancelled creates).
 */
function madeUpPhysicalId(stackName: string, logicalId: string): string {
  return `${stackName}-${logicalId}-${randomString('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 12)}`;
}

/** Runs a resource provider's work; what it throws fails the resource with the service's message. */
async function reported<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const e = error as Error;
    throw new ResourceFailure(e.name && e.name !== 'Error' ? `${e.name}: ${e.message}` : e.message);
  }
}

function delay(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms));
}
