/**
 * `npm run test:lifecycle` (after the scenario suite): random lifecycle sequences with fast-check, split over
 * worker processes (one per core) that each run their share with their own seed, fakes and stack. Prints what the
 * run exercised and, as its last line, `lifecycle: <N> sequences, <M> steps, <V> invariant violations`.
 *
 * LIFECYCLE_RUNS: sequences in all (default 300). LIFECYCLE_SEED: replays a run. LIFECYCLE_WORKERS: processes.
 */
import { fork } from 'node:child_process';
import * as os from 'node:os';
import fc from 'fast-check';
import type { KeySpec } from './apps';
import { type Sequence, runSequence, sequenceArb } from './sequences';
import { LifecycleWorld, type UnrecordedKeys } from './world';

interface WorkerResult {
  readonly seed: number;
  readonly sequences: number;
  readonly steps: number;
  /** Violations of the first failing sequence (fast-check then shrinks it), plus leaks in cloud assemblies. */
  readonly violations: number;
  readonly counterexample?: string;
  readonly tally: Record<string, number>;
  /** Keys created for a handler that never saw them, and what became of them (see world.unrecordedKeys). */
  readonly unrecorded: UnrecordedKeys & { readonly sequences: number };
}

const RESULT_MARK = 'LIFECYCLE_RESULT ';

/** Counts what a sequence's steps draw, for the report. */
function tallySteps(sequence: Sequence, count: (what: string) => void): void {
  let keys = new Map<string, KeySpec>();
  for (const step of sequence.steps) {
    if (step.kind === 'deleteKeyOutOfBand') count('key deleted out of band');
    if (step.kind === 'expireGracePeriods') count('grace periods end');
    if (step.kind === 'redeployAfterDelete') count('stack deleted and deployed again at once (a new stack id)');
    if (step.kind === 'teardownWhileRotating') count('stack deleted while a rotation runs');
    if (step.kind === 'foreignKey') count('an operator makes a key on a bucket (may leave a rotation stuck)');
    if ((step.kind === 'deploy' || step.kind === 'redeployAfterDelete') && step.app.failDuringKeys) {
      count(`another resource fails while keys are deployed (after ${step.app.failDuringKeys})`);
    }
    if (step.kind === 'deploy' || step.kind === 'redeployAfterDelete') {
      for (const key of step.app.keys) tallyKeyChange(keys.get(key.id), key, count);
      keys = new Map(step.app.keys.map((k) => [k.id, k]));
    }
    if (step.kind !== 'deploy' && step.kind !== 'rotate') continue;
    const where = step.kind === 'rotate' ? ' (rotation)' : '';
    step.faults.forEach((f) => count(`fault ${f.kind} on ${f.operation}${where}`));
    if (step.crashAfter) count(`crash after ${step.crashAfter}${where}`);
    if (step.deferred) {
      count(`Lightsail ${step.deferred.operationType} answered Started, then ${step.deferred.outcome}${where}`);
    }
    if (step.kind === 'rotate') continue;
    if (step.rotateAfterMs !== undefined) count('a rotation runs while the stack deploys (and rolls back)');
    if ((step.simulator.deliveries ?? 1) > 1) count(`request delivered ${step.simulator.deliveries} times`);
    if (step.app.failAfterKeys)
      count(`later resource fails (rollback physical id: ${step.simulator.rollbackPhysicalId})`);
  }
}

/** What a deploy changes of one key's rotation and encryption. */
function tallyKeyChange(before: KeySpec | undefined, after: KeySpec, count: (what: string) => void): void {
  if (after.rotation && !after.rotation.immediately && !before?.rotation) {
    count('rotation turned on with RotateImmediately=false (only testSecret)');
  }
  if (!before) return;
  if (before.rotation && !after.rotation) count('rotation turned off');
  if (!before.rotation && after.rotation) count('rotation turned on again or for the first time on a deployed key');
  if (before.rotation && after.rotation && before.rotation.days !== after.rotation.days)
    count('rotation schedule changed');
  if (before.encryptionKey !== after.encryptionKey) count('encryption key changed');
}

async function runWorker(runs: number, seed: number): Promise<WorkerResult> {
  const world = await LifecycleWorld.start();
  const tally: Record<string, number> = {};
  const count = (what: string) => (tally[what] = (tally[what] ?? 0) + 1);
  let sequences = 0;
  let firstViolations: string[] | undefined;
  let lastViolations: string[] = [];
  const unrecorded = {
    total: 0,
    deletedWithBucket: 0,
    leftOnExternalBuckets: 0,
    deletedOutOfBand: 0,
    neverCreated: 0,
    sequences: 0,
  };

  const property = fc.asyncProperty(sequenceArb, async (sequence: Sequence) => {
    sequences++;
    const started = Date.now();
    const reports = await runSequence(world, sequence);
    // A sequence that takes long is worth a look (LIFECYCLE_SLOW_MS, off by default).
    const slowMs = Number(process.env.LIFECYCLE_SLOW_MS ?? Infinity);
    if (Date.now() - started > slowMs) {
      console.error(
        `slow sequence (${Date.now() - started} ms): ${JSON.stringify(sequence)}\n${reports.map((r) => r.step).join('\n')}`,
      );
    }
    for (const report of reports) if (report.status) count(report.status);
    tallySteps(sequence, count);
    for (const outcome of world.rotationOutcomes()) {
      if (outcome.failure === 'cancelled') count('rotations cancelled while they ran (their schedule deleted)');
    }
    if (sequence.secretDeletedBeforeTeardown) count('secret scheduled for deletion out of band');
    for (const r of reports)
      if (r.step.startsWith('rotate') && !r.step.startsWith('rotate 0')) count('rotations of rotating keys (steps)');
    for (let i = 0; i < world.rotationFailures; i++)
      count('rotations failed for want of a slot (explained in the error)');
    for (let i = 0; i < world.cancelledCreates(); i++) count('key creations cancelled by CloudFormation');
    const fate = world.unrecordedKeys();
    if (fate.total > 0) {
      unrecorded.sequences++;
      unrecorded.total += fate.total;
      unrecorded.deletedWithBucket += fate.deletedWithBucket;
      unrecorded.leftOnExternalBuckets += fate.leftOnExternalBuckets;
      unrecorded.deletedOutOfBand += fate.deletedOutOfBand;
      unrecorded.neverCreated += fate.neverCreated;
    }
    const violations = reports.flatMap((r) => r.violations.map((v) => `${r.step}: ${v}`));
    if (violations.length > 0) {
      firstViolations ??= violations;
      // Shrinking runs smaller and smaller failing sequences: the last failure is the minimal counterexample's.
      lastViolations = violations;
      throw new Error(`${violations.length} invariant violations:\n  ${violations.join('\n  ')}`);
    }
  });

  let counterexample: string | undefined;
  try {
    await fc.assert(property, { numRuns: runs, seed });
  } catch (error) {
    counterexample = (error as Error).message;
  }
  const leaks = world.checkAssembliesForLeaks();
  await world.close();
  return {
    seed,
    sequences,
    steps: world.steps,
    violations: (firstViolations?.length ?? (counterexample ? 1 : 0)) + leaks.length,
    counterexample:
      [counterexample, lastViolations.length ? `its violations:\n  ${lastViolations.join('\n  ')}` : '', ...leaks]
        .filter(Boolean)
        .join('\n') || undefined,
    tally,
    unrecorded,
  };
}

function startWorker(runs: number, seed: number): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, [], {
      // Prefer lib/*.ts to the lib/*.js a build leaves beside them.
      env: {
        ...process.env,
        TS_NODE_PREFER_TS_EXTS: 'true',
        LIFECYCLE_WORKER_RUNS: String(runs),
        LIFECYCLE_WORKER_SEED: String(seed),
      },
      execArgv: ['-r', 'ts-node/register/transpile-only'],
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    let out = '';
    child.stdout?.on('data', (chunk) => (out += chunk));
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT_MARK));
      if (line) resolve(JSON.parse(line.slice(RESULT_MARK.length)));
      else reject(new Error(`a lifecycle worker exited (${code}) without a result:\n${out}`));
    });
  });
}

async function main(): Promise<number> {
  const runs = Number(process.env.LIFECYCLE_RUNS ?? 300);
  const workers = Math.max(1, Number(process.env.LIFECYCLE_WORKERS ?? Math.min(2, os.availableParallelism())));
  const seed = process.env.LIFECYCLE_SEED ? Number(process.env.LIFECYCLE_SEED) : Date.now() % 2 ** 30;
  const started = Date.now();
  const shares = Array.from({ length: workers }, (_, i) => Math.floor(runs / workers) + (i < runs % workers ? 1 : 0));
  const results = await Promise.all(shares.map((share, i) => startWorker(share, seed + i)));

  const tally: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.tally)) tally[k] = (tally[k] ?? 0) + v;
  const sum = (pick: (r: WorkerResult) => number) => results.reduce((n, r) => n + pick(r), 0);

  console.log(
    `seeds ${results.map((r) => r.seed).join(', ')} (replay: LIFECYCLE_SEED=${seed} LIFECYCLE_WORKERS=${workers}); ${Math.round((Date.now() - started) / 1000)} s`,
  );
  console.log('exercised (steps, shrinking included):');
  console.log(
    Object.entries(tally)
      .sort()
      .map(([k, v]) => `  ${k}: ${v}`)
      .join('\n'),
  );
  const lost = (pick: (u: WorkerResult['unrecorded']) => number) => sum((r) => pick(r.unrecorded));
  console.log(
    `keys created for a handler that never saw them (killed right after CreateBucketAccessKey took effect, or its ` +
      `answer lost): ${lost((u) => u.total)} in ${lost((u) => u.sequences)} sequences; ` +
      `${lost((u) => u.deletedWithBucket)} went with a stack bucket CloudFormation force-deleted, ` +
      `${lost((u) => u.leftOnExternalBuckets)} stay on buckets the stack does not own, ` +
      `${lost((u) => u.deletedOutOfBand)} were deleted out of band by the sequence, ` +
      `${lost((u) => u.neverCreated)} were never created (Lightsail failed the creation it had answered). ` +
      'Reported apart, not as violations: the handler cannot know them; its errors name them.',
  );
  const failedStacks = ['ROLLBACK_FAILED', 'UPDATE_ROLLBACK_FAILED', 'DELETE_FAILED']
    .map((status) => `${status} ${tally[status] ?? 0}`)
    .join(', ');
  console.log(`stacks left failed: ${failedStacks}`);
  for (const r of results)
    if (r.counterexample) console.log(`\nseed ${r.seed}, shrunk counterexample:\n${r.counterexample}\n`);
  const violations = sum((r) => r.violations);
  console.log(
    `lifecycle: ${sum((r) => r.sequences)} sequences, ${sum((r) => r.steps)} steps, ${violations} invariant violations`,
  );
  return violations === 0 ? 0 : 1;
}

const workerRuns = process.env.LIFECYCLE_WORKER_RUNS;
const run = workerRuns
  ? runWorker(Number(workerRuns), Number(process.env.LIFECYCLE_WORKER_SEED)).then((result) => {
      console.log(`${RESULT_MARK}${JSON.stringify(result)}`);
      return 0;
    })
  : main();
run.then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
