/**
 * `npm run bench`: measures cold start, AWS calls per lifecycle event, synth time and template size at scale, and
 * many keys created at once under throttling; writes bench/results.json and bench/results.md and prints the
 * markdown. Expects the handler bundle to be fresh (`npm run bundle`, which the npm script runs first).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { measureApiCalls } from './api-calls';
import { measureColdStart } from './cold-start';
import { renderMarkdown } from './report';
import { type BenchResults, assembleResults } from './assemble';
import { elapsedMs, round } from './stats';
import { measureSynthScale } from './synth-scale';
import { evaluateTargets } from './targets';
import { measureThrottled } from './throttled';

const RESULTS_JSON = path.join(__dirname, 'results.json');
const RESULTS_MD = path.join(__dirname, 'results.md');

async function section<T>(name: string, measure: () => T | Promise<T>): Promise<T> {
  const started = process.hrtime.bigint();
  process.stderr.write(`bench: ${name}...\n`);
  const result = await measure();
  process.stderr.write(`bench: ${name} done in ${round(elapsedMs(started) / 1000, 1)} s\n`);
  return result;
}

async function main(): Promise<void> {
  const started = process.hrtime.bigint();
  const loadAverageAtStart = os.loadavg()[0];
  // Process-heavy sections first, synthesis (in this process) after, the long throttled deploy last.
  const coldStart = await section('cold start', measureColdStart);
  const apiCalls = await section('AWS calls per lifecycle event', measureApiCalls);
  const synth = await section('synth at scale', measureSynthScale);
  const throttled = await section('100 keys under throttling', measureThrottled);

  const partial = assembleResults(
    { coldStart, apiCalls, synth, throttled },
    { totalSeconds: round(elapsedMs(started) / 1000, 0), loadAverageAtStart },
  );
  const results: BenchResults = { ...partial, targets: evaluateTargets(partial) };
  const markdown = renderMarkdown(results);
  fs.writeFileSync(RESULTS_JSON, `${JSON.stringify(results, null, 2)}\n`);
  fs.writeFileSync(RESULTS_MD, `${markdown}\n`);
  process.stdout.write(`${markdown}\n`);
}

main().then(
  // Lambda containers and servers are closed by each section; exit anyway rather than wait on a stray handle.
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
