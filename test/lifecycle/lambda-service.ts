/**
 * A local stand-in for AWS Lambda's asynchronous Invoke, the way CloudFormation calls a custom resource's function:
 * each execution environment is a child process running the function's real code from cdk.out on the Node.js
 * major of the function's runtime, reused while warm; a failed invocation (an error, a crash, a timeout) is retried
 * twice, as Lambda does for asynchronous events.
 */
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import * as path from 'node:path';

const CONTAINER_SCRIPT = path.join(__dirname, 'lambda-container.js');
/** Lambda retries a failed asynchronous invocation twice. */
const ASYNC_ATTEMPTS = 3;

export interface FunctionConfig {
  readonly codeDir: string;
  readonly handler: string;
  /** The Lambda runtime, such as `nodejs24.x`: its Node.js major runs the code. */
  readonly runtime: string;
  readonly timeoutMs: number;
}

const nodeBinaries = new Map<string, string>();

/**
 * The Node.js binary for a Lambda runtime: this process's own when its major matches, else the binary of the npm
 * registry's `node` package (a dev dependency, pinned to the runtime's major).
 */
export function nodeBinaryFor(runtime: string): string {
  const major = /^nodejs(\d+)\.x$/.exec(runtime)?.[1];
  if (!major) throw new Error(`the simulator runs Node.js runtimes only, not ${runtime}`);
  const cached = nodeBinaries.get(major);
  if (cached) return cached;
  const candidates = [process.execPath, path.join(path.dirname(require.resolve('node/package.json')), 'bin', 'node')];
  const binary = candidates.find(
    (bin) => execFileSync(bin, ['-p', 'process.versions.node'], { encoding: 'utf8' }).split('.')[0] === major,
  );
  if (!binary) {
    throw new Error(`no Node.js ${major} for the ${runtime} runtime: install the dev dependency node@${major}`);
  }
  nodeBinaries.set(major, binary);
  return binary;
}

interface Container {
  readonly id: string;
  readonly process: ChildProcess;
  readonly ready: Promise<void>;
  busy: boolean;
  /** Settles the invocation running in it. */
  finish?: (outcome: AttemptOutcome) => void;
}

type AttemptOutcome = { ok: true } | { ok: false; why: string };

export interface InvocationReport {
  readonly attempts: number;
  readonly failures: readonly string[];
}

/**
 * Warm containers are pooled by code (asset and handler), not by function: a function deleted and created again
 * with the same code, as every test sequence does, reuses them. Nothing in a container depends on the function's
 * name, and this keeps hundreds of sequences from each paying for new processes.
 */
function codeKey(config: FunctionConfig): string {
  return `${path.basename(config.codeDir)}:${config.handler}:${config.runtime}`;
}

/** The execution environment whose SDK calls carry this user agent (each sets AWS_SDK_UA_APP_ID to its id). */
export function containerOf(userAgent: string): string | undefined {
  return /app\/(container-\d+)/.exec(userAgent)?.[1];
}

export class LambdaService {
  /** Everything every container printed, line by line. */
  public readonly output: string[] = [];
  /** The Node.js versions execution environments ran on (`process.version` of each). */
  public readonly nodeVersions = new Set<string>();
  /** Called as an execution environment starts an invocation, with its id. */
  public onInvocationStart?: (container: string) => void;
  private readonly functions = new Map<string, FunctionConfig>();
  private readonly containers = new Map<string, Container[]>();
  private readonly byId = new Map<string, Container>();
  /** The function whose invocation each execution environment runs (or ran last). */
  private readonly functionByContainer = new Map<string, string>();
  private nextContainer = 0;
  private nextInvocation = 0;

  /** @param env the environment of every container (the AWS fakes' endpoints and credentials) */
  constructor(private readonly env: Record<string, string>) {}

  /** Creates or updates a function; new code runs in new execution environments. */
  public deploy(functionArn: string, config: FunctionConfig): void {
    this.functions.set(functionArn, config);
  }

  public remove(functionArn: string): void {
    this.functions.delete(functionArn);
  }

  public has(functionArn: string): boolean {
    return this.functions.has(functionArn);
  }

  /** The function an execution environment runs (the one whose SDK calls carry its id: see containerOf). */
  public functionOf(containerId: string): string | undefined {
    return this.functionByContainer.get(containerId);
  }

  /**
   * An asynchronous invocation: resolves when Lambda is done with the event (success, or every retry failed).
   * `deliveries` > 1 models Lambda's at-least-once delivery: the same event runs that many times, concurrently.
   */
  public async invokeAsync(functionArn: string, event: unknown, deliveries = 1): Promise<InvocationReport> {
    const reports = await Promise.all(
      Array.from({ length: deliveries }, () => this.invokeWithRetries(functionArn, event)),
    );
    return { attempts: reports.reduce((n, r) => n + r.attempts, 0), failures: reports.flatMap((r) => r.failures) };
  }

  /** A synchronous invocation (how Secrets Manager calls a rotation function): one run, its error if any. */
  public async invokeSync(functionArn: string, event: unknown): Promise<string | undefined> {
    const outcome = await this.runOnce(functionArn, event);
    return outcome.ok ? undefined : outcome.why;
  }

  /**
   * Kills the container whose SDK calls carry this user agent (see AWS_SDK_UA_APP_ID), as if it crashed, and
   * resolves once the process is gone.
   */
  public async killContainerOf(userAgent: string): Promise<boolean> {
    const id = containerOf(userAgent);
    const container = id ? this.byId.get(id) : undefined;
    if (!container) return false;
    const exited = new Promise((resolve) => container.process.once('exit', resolve));
    container.process.kill('SIGKILL');
    await exited;
    return true;
  }

  public async close(): Promise<void> {
    for (const pool of this.containers.values()) for (const container of pool) container.process.kill('SIGKILL');
    this.containers.clear();
  }

  private async invokeWithRetries(functionArn: string, event: unknown): Promise<InvocationReport> {
    const failures: string[] = [];
    for (let attempt = 1; attempt <= ASYNC_ATTEMPTS; attempt++) {
      const outcome = await this.runOnce(functionArn, event);
      if (outcome.ok) return { attempts: attempt, failures };
      failures.push(outcome.why);
    }
    return { attempts: ASYNC_ATTEMPTS, failures };
  }

  private async runOnce(functionArn: string, event: unknown): Promise<AttemptOutcome> {
    const config = this.functions.get(functionArn);
    if (!config) return { ok: false, why: `function ${functionArn} does not exist` };
    const container = this.idleContainer(config);
    container.busy = true;
    try {
      const started = await container.ready.then(
        () => true,
        () => false,
      );
      if (!started) return { ok: false, why: 'the execution environment failed to start' };
      const invocationId = `invocation-${++this.nextInvocation}`;
      this.functionByContainer.set(container.id, functionArn);
      this.onInvocationStart?.(container.id);
      return await new Promise<AttemptOutcome>((resolve) => {
        const timer = setTimeout(() => {
          container.process.kill('SIGKILL');
          resolve({ ok: false, why: `Task timed out after ${config.timeoutMs} ms` });
        }, config.timeoutMs);
        container.finish = (outcome) => {
          clearTimeout(timer);
          resolve(outcome);
        };
        container.process.send({ type: 'invoke', invocationId, event, timeoutMs: config.timeoutMs });
      });
    } finally {
      container.finish = undefined;
      container.busy = false;
    }
  }

  private idleContainer(config: FunctionConfig): Container {
    const key = codeKey(config);
    const pool = this.containers.get(key) ?? [];
    this.containers.set(key, pool);
    const idle = pool.find((c) => !c.busy && c.process.exitCode === null && !c.process.killed);
    if (idle) return idle;

    const id = `container-${++this.nextContainer}`;
    const child = fork(CONTAINER_SCRIPT, [config.codeDir, config.handler], {
      execPath: nodeBinaryFor(config.runtime),
      env: { ...this.env, AWS_SDK_UA_APP_ID: id },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      execArgv: [],
    });
    const container: Container = {
      id,
      process: child,
      busy: false,
      ready: new Promise<void>((resolve, reject) => {
        child.once('message', (message: { nodeVersion?: string }) => {
          if (message.nodeVersion) this.nodeVersions.add(message.nodeVersion);
          resolve();
        });
        child.once('exit', (code) => reject(new Error(`container ${id} exited during init (code ${code})`)));
      }),
    };
    container.ready.catch(() => undefined);
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => this.output.push(...chunk.split('\n').filter((l) => l !== '')));
    }
    child.on('message', (message: { type: string; error?: string }) => {
      if (message.type !== 'done') return;
      container.finish?.(message.error === undefined ? { ok: true } : { ok: false, why: message.error });
    });
    child.on('exit', (code, signal) => {
      container.finish?.({ ok: false, why: `process exited (${signal ?? code})` });
      this.byId.delete(id);
      this.functionByContainer.delete(id);
      const index = pool.indexOf(container);
      if (index >= 0) pool.splice(index, 1);
    });
    pool.push(container);
    this.byId.set(id, container);
    return container;
  }
}
