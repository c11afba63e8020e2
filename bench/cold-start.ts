/**
 * Cold start: bundle bytes, and module-init time of the shipped handler bundle against a naively bundled reference
 * built in this run. Init is timed inside each fresh process around `require` of the bundle (process start-up is
 * excluded), on the Node.js of the functions' runtime.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { nodeBinaryFor } from '../test/lifecycle/lambda-service';
import { median, pairedRatio, round } from './stats';

const REPO_ROOT = path.join(__dirname, '..');
const HANDLER_BUNDLE = path.join(REPO_ROOT, 'assets', 'bucket-access-key-handler', 'index.js');
/** The functions' runtime (lib/provider.ts). */
const RUNTIME = 'nodejs24.x';
const PROCESSES_PER_BUNDLE = 21;

/**
 * The same job done the naive way: the aggregated clients (every command of both services). Clients are created on
 * the first invocation, as the shipped handler does, so both bundles' init is module evaluation only.
 */
const REFERENCE_SOURCE = `import { Lightsail } from '@aws-sdk/client-lightsail';
import { SecretsManager } from '@aws-sdk/client-secrets-manager';
let clients;
export async function handler(event) {
  clients ??= { lightsail: new Lightsail({}), secrets: new SecretsManager({}) };
  const { BucketName, SecretArn } = event.ResourceProperties;
  const [keys] = await Promise.all([
    clients.lightsail.getBucketAccessKeys({ bucketName: BucketName }),
    clients.secrets.getSecretValue({ SecretId: SecretArn }),
  ]);
  const created = await clients.lightsail.createBucketAccessKey({ bucketName: BucketName });
  await clients.secrets.putSecretValue({ SecretId: SecretArn, SecretString: JSON.stringify(created.accessKey) });
  return keys.accessKeys?.length;
}`;

/** Runs in each child: times the require of the bundle given as its argument. */
const CHILD_SCRIPT = `const [cpu0, start] = [process.cpuUsage(), process.hrtime.bigint()];
require(process.argv[1]);
const [wallMs, cpu] = [Number(process.hrtime.bigint() - start) / 1e6, process.cpuUsage(cpu0)];
process.stdout.write(JSON.stringify({ wallMs, cpuMs: (cpu.user + cpu.system) / 1000, node: process.version }));`;

type InitTime = { wallMs: number; cpuMs: number; node: string };

export async function measureColdStart() {
  const node = nodeBinaryFor(RUNTIME);
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-reference-handler-'));
  try {
    const reference = path.join(tempDir, 'index.js');
    const stdin = { contents: REFERENCE_SOURCE, resolveDir: REPO_ROOT };
    // esbuild's defaults for Node: CommonJS entry points, so nothing is tree-shaken; the shipped bundle's target.
    await build({ stdin, outfile: reference, bundle: true, minify: true, platform: 'node', target: 'node22' });
    const timeRequire = (bundle: string): InitTime => {
      // Nothing of this process's tooling (ts-node hooks, inspectors) may load into the child.
      const env = { ...process.env, NODE_OPTIONS: '' };
      return JSON.parse(execFileSync(node, ['-e', CHILD_SCRIPT, bundle], { env, encoding: 'utf8' })) as InitTime;
    };
    // One discarded run each, so both files are in the page cache before timing starts.
    const { node: version } = timeRequire(HANDLER_BUNDLE);
    timeRequire(reference);
    const [shipped, naive]: InitTime[][] = [[], []];
    // Back-to-back pairs, alternating which goes first, so drift in the machine's load hits both alike.
    for (let i = 0; i < PROCESSES_PER_BUNDLE; i++) {
      if (i % 2 === 0) shipped.push(timeRequire(HANDLER_BUNDLE));
      naive.push(timeRequire(reference));
      if (i % 2 === 1) shipped.push(timeRequire(HANDLER_BUNDLE));
    }
    const [wall, cpu] = [(t: InitTime) => t.wallMs, (t: InitTime) => t.cpuMs];
    const row = (bundle: string, times: InitTime[]) => ({
      bytes: fs.statSync(bundle).size,
      initWallMs: round(median(times.map(wall))),
      initCpuMs: round(median(times.map(cpu))),
    });
    const bundles = { handler: row(HANDLER_BUNDLE, shipped), reference: row(reference, naive) };
    return {
      method:
        `${PROCESSES_PER_BUNDLE} fresh processes per bundle on Node.js ${version} (${RUNTIME}), require() timed inside ` +
        'each: medians, and the median of back-to-back pair ratios. The reference bundles the aggregated clients.',
      node: version,
      processesPerBundle: PROCESSES_PER_BUNDLE,
      bundles: {
        ...bundles,
        ratio: {
          bytes: round(bundles.handler.bytes / bundles.reference.bytes, 3),
          initWallMs: pairedRatio(shipped.map(wall), naive.map(wall)),
          initCpuMs: pairedRatio(shipped.map(cpu), naive.map(cpu)),
        },
      },
    };
  } finally {
    fs.rmSync(tempDir, { recursive: true, force: true });
  }
}
