/**
 * Cold start of the shipped handler against a naive reference: bundle size, and module-init time, i.e. how long
 * `require` of the bundle takes in a fresh Node process (measured inside the child with process.hrtime around the
 * require, so process start-up itself is excluded).
 *
 * The reference does the same job the naive way: it imports the aggregated `Lightsail` and `SecretsManager`
 * clients (every command of both services) and is bundled with esbuild's defaults for Node (CommonJS entry points,
 * so nothing can be tree-shaken). It is built into a temporary directory in every run.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { nodeBinaryFor } from '../test/lifecycle/lambda-service';
import { median, pairedRatio, round } from './stats';

export const REPO_ROOT = path.join(__dirname, '..');
export const HANDLER_BUNDLE = path.join(REPO_ROOT, 'assets', 'bucket-access-key-handler', 'index.js');

/** The functions' runtime (lib/provider.ts): its Node.js runs the measured processes. */
const RUNTIME = 'nodejs24.x';
/** Fresh processes per bundle; the brief asks for at least 15. */
const PROCESSES_PER_BUNDLE = 21;

/**
 * A handler using the aggregated clients. Clients are created on first invocation, as the shipped handler does,
 * so both bundles' init is module evaluation only.
 */
const REFERENCE_SOURCE = `
import { Lightsail } from '@aws-sdk/client-lightsail';
import { SecretsManager } from '@aws-sdk/client-secrets-manager';

let clients: { lightsail: Lightsail; secrets: SecretsManager } | undefined;

export async function handler(event: { ResourceProperties: { BucketName: string; SecretArn: string } }) {
  clients ??= { lightsail: new Lightsail({}), secrets: new SecretsManager({}) };
  const { BucketName, SecretArn } = event.ResourceProperties;
  const [keys] = await Promise.all([
    clients.lightsail.getBucketAccessKeys({ bucketName: BucketName }),
    clients.secrets.getSecretValue({ SecretId: SecretArn }),
  ]);
  const created = await clients.lightsail.createBucketAccessKey({ bucketName: BucketName });
  await clients.secrets.putSecretValue({ SecretId: SecretArn, SecretString: JSON.stringify(created.accessKey) });
  return keys.accessKeys?.length;
}
`;

/** Runs in each child: times the require of the bundle given as its argument; prints wall and CPU milliseconds. */
const CHILD_SCRIPT = `
const cpuBefore = process.cpuUsage();
const start = process.hrtime.bigint();
require(process.argv[1]);
const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
const cpu = process.cpuUsage(cpuBefore);
process.stdout.write(JSON.stringify({ wallMs, cpuMs: (cpu.user + cpu.system) / 1000, node: process.version }));
`;

interface InitTime {
  wallMs: number;
  cpuMs: number;
  node: string;
}

export interface ColdStartResult {
  handlerInitMs: number;
  referenceInitMs: number;
  /** Median of per-pair ratios handler/reference, wall clock. */
  ratio: number;
  /** The same from the child's CPU time: less sensitive to other work on the machine. */
  handlerInitCpuMs: number;
  referenceInitCpuMs: number;
  cpuRatio: number;
  handlerBundleBytes: number;
  referenceBundleBytes: number;
  processesPerBundle: number;
  /** The Node.js version of the measured processes. */
  node: string;
  method: string;
}

export async function measureColdStart(): Promise<ColdStartResult> {
  if (!fs.existsSync(HANDLER_BUNDLE)) throw new Error(`${HANDLER_BUNDLE} is missing: run \`npm run bundle\` first.`);
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-reference-handler-'));
  try {
    const referenceBundle = await buildReference(tempDir);
    // One discarded run each, so both files are in the page cache before timing starts.
    const { node } = timeRequire(HANDLER_BUNDLE);
    timeRequire(referenceBundle);
    const handler: InitTime[] = [];
    const reference: InitTime[] = [];
    // Back-to-back pairs, alternating which goes first, so drift in machine load hits both alike.
    for (let i = 0; i < PROCESSES_PER_BUNDLE; i++) {
      if (i % 2 === 0) {
        handler.push(timeRequire(HANDLER_BUNDLE));
        reference.push(timeRequire(referenceBundle));
      } else {
        reference.push(timeRequire(referenceBundle));
        handler.push(timeRequire(HANDLER_BUNDLE));
      }
    }
    const wall = (times: InitTime[]) => times.map((t) => t.wallMs);
    const cpu = (times: InitTime[]) => times.map((t) => t.cpuMs);
    return {
      handlerInitMs: round(median(wall(handler))),
      referenceInitMs: round(median(wall(reference))),
      ratio: pairedRatio(wall(handler), wall(reference)),
      handlerInitCpuMs: round(median(cpu(handler))),
      referenceInitCpuMs: round(median(cpu(reference))),
      cpuRatio: pairedRatio(cpu(handler), cpu(reference)),
      handlerBundleBytes: fs.statSync(HANDLER_BUNDLE).size,
      referenceBundleBytes: fs.statSync(referenceBundle).size,
      processesPerBundle: PROCESSES_PER_BUNDLE,
      node,
      method:
        `process.hrtime (and process.cpuUsage) around require() of the bundle, inside each fresh process on Node.js ` +
        `${node} (the functions' ${RUNTIME}); ` +
        'medians, and the median of back-to-back pair ratios',
    };
  } finally {
    fs.rmSync(tempDir, { recursive: true, force: true });
  }
}

async function buildReference(outDir: string): Promise<string> {
  const outfile = path.join(outDir, 'index.js');
  await build({
    stdin: { contents: REFERENCE_SOURCE, resolveDir: REPO_ROOT, sourcefile: 'reference-handler.ts', loader: 'ts' },
    outfile,
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    logLevel: 'warning',
  });
  return outfile;
}

function timeRequire(bundle: string): InitTime {
  const env = { ...process.env };
  // Nothing of the parent's tooling (ts-node hooks, inspectors) may load into the child.
  delete env.NODE_OPTIONS;
  const output = execFileSync(nodeBinaryFor(RUNTIME), ['-e', CHILD_SCRIPT, bundle], { env, encoding: 'utf8' });
  return JSON.parse(output) as InitTime;
}
