/**
 * `npm run bench`: runs every measurement, checks the README's targets against them, and writes bench/results.json
 * and, rendered from it, bench/results.md (also printed). Expects a fresh handler bundle (`npm run bundle`).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { measureCallsPerEvent } from './api-calls';
import { measureColdStart } from './cold-start';
import { measureStackLimits } from './limits';
import { elapsedMs, round } from './stats';
import { measureSynthAtScale } from './synth-scale';
import { measureManyKeysAtOnce } from './throttled';

type Measured = Awaited<ReturnType<typeof measureAll>>['measured'];

async function section<T>(name: string, measure: () => T | Promise<T>): Promise<T> {
  const started = process.hrtime.bigint();
  const result = await measure();
  process.stderr.write(`bench: ${name} done in ${round(elapsedMs(started) / 1000, 1)} s\n`);
  return result;
}

async function measureAll() {
  const [started, loadAverageAtStart] = [process.hrtime.bigint(), round(os.loadavg()[0])];
  // Process-heavy sections first, synthesis (in this process) after, the long throttled deploy last.
  const coldStart = await section('cold start', measureColdStart);
  const callsPerEvent = await section('AWS calls per lifecycle event', measureCallsPerEvent);
  const { synthAtScale, templates } = await section('synth at scale', measureSynthAtScale);
  const stackLimits = await section('stack limits', () => measureStackLimits(templates));
  const manyKeysAtOnce = await section('100 keys under throttling', measureManyKeysAtOnce);
  const run = {
    method: 'Times are medians and noisy: compare the ratios, each against a reference measured in the same run.',
    benchNode: process.version,
    cpus: `${os.cpus().length} (${os.cpus()[0]?.model ?? 'unknown'})`,
    platform: `${os.platform()} ${os.arch()}`,
    date: new Date().toISOString(),
    totalSeconds: round(elapsedMs(started) / 1000, 0),
    loadAverage: `${loadAverageAtStart} at the start, ${round(os.loadavg()[0])} at the end`,
  };
  return { run, measured: { coldStart, callsPerEvent, synthAtScale, stackLimits, manyKeysAtOnce } };
}

/** The targets the README states, each checked against this run. */
function targets({ coldStart, callsPerEvent, synthAtScale, stackLimits, manyKeysAtOnce: many }: Measured) {
  const [{ create, noopUpdate }, byBucket] = [callsPerEvent.byBucketName, callsPerEvent.byCfnBucket];
  const { handler, reference, ratio } = coldStart.bundles;
  const at100 = synthAtScale.byKeys.find((r) => r.keys === 100)!;
  const violations = [...callsPerEvent.violations, ...many.violations];
  const kb = (n: number) => `${Math.round(n / 1000)} KB`;
  const target = (target: string, met: boolean, measured: string) => ({ target, measured, met });
  return [
    target(
      'Create in at most 3 sequential AWS calls',
      create.sequential <= 3,
      `${create.sequential} sequential (${create.calls} calls; ${byBucket.create.calls} with a CfnBucket)`,
    ),
    target(
      'No-op Update in 0 AWS calls',
      noopUpdate.calls === 0,
      `${noopUpdate.calls} calls, ${noopUpdate.sequential} sequential (${byBucket.noopUpdate.calls} with a CfnBucket)`,
    ),
    target(
      'Cold-start init at most 0.8x a naively bundled handler',
      ratio.initWallMs <= 0.8,
      `${ratio.initWallMs}x (${handler.initWallMs} ms vs ${reference.initWallMs} ms module init on Node.js ` +
        `${coldStart.node}; ${ratio.initCpuMs}x CPU; bundle ${kb(handler.bytes)} vs ${kb(reference.bytes)})`,
    ),
    target(
      'Synth at 100 keys within 1.3x of iam.AccessKey + secret',
      at100.ratio <= 1.3,
      `${at100.ratio}x (${Math.round(at100.oursMs)} ms vs ${Math.round(at100.nativeMs)} ms; ${at100.cpuRatio}x CPU)`,
    ),
    target(
      'At most 2 CloudFormation resources per key',
      stackLimits.resourcesPerKey <= 2,
      `${stackLimits.resourcesPerKey} (a secret and the custom resource), plus ${stackLimits.fixedResources} per stack`,
    ),
    target(
      `${many.keys} keys created at once at ${many.lightsailPerSecond} Lightsail requests/s`,
      many.succeeded === many.keys,
      `${many.succeeded} of ${many.keys}, in ${Math.round(many.wallS)} s, after ` +
        `${many.retries.toLocaleString('en-US')} throttled calls were retried`,
    ),
    target('No simulator invariant violations', violations.length === 0, violations.join('; ') || 'none'),
  ];
}

// ---- results.json as markdown: each section's values as one table, each list or map of rows as another ------

type Row = Record<string, unknown>;
const isRow = (value: unknown): value is Row => typeof value === 'object' && value !== null && !Array.isArray(value);
const words = (key: string) => (/^[a-z]/.test(key) ? key.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`) : key);

function cell(value: unknown): string {
  if (typeof value === 'number') return value.toLocaleString('en-US', { maximumFractionDigits: 3 });
  if (typeof value === 'boolean') return value ? 'yes' : '**no**';
  if (Array.isArray(value)) return value.length ? value.map(cell).join(', ') : 'none';
  if (isRow(value)) return cell(Object.entries(value).map(([k, v]) => `${k} ${cell(v)}`));
  // A table cell holds one line, and a pipe ends it.
  return String(value ?? '').replace(/\||\s*\n\s*/g, (match) => (match === '|' ? '\\|' : ' '));
}

function table(rows: Row[]): string {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const body = rows.map((row) => line(columns.map((c) => cell(row[c]))));
  return [line(columns.map(words)), line(columns.map(() => '---')), ...body].join('\n');
}

function markdown(results: Row): string {
  const parts = ['# Benchmark results', 'Written by `npm run bench`, with bench/results.json.'];
  for (const [key, value] of Object.entries(results)) {
    const { method, ...data } = isRow(value) ? value : { [key]: value };
    const [scalars, blocks]: [Row[], string[]] = [[], []];
    for (const [name, v] of Object.entries(data)) {
      // A list of rows, or a map of rows (its keys become the first column), is a table of its own.
      const rows = Array.isArray(v)
        ? v
        : Object.entries(isRow(v) ? v : {}).map(([k, r]) => isRow(r) && { [name]: words(k), ...r });
      if (rows.length && rows.every(isRow)) blocks.push(table(rows));
      else if (v !== undefined) scalars.push({ measure: words(name), value: v });
    }
    if (scalars.length) blocks.unshift(table(scalars));
    if (method) blocks.push(`${method}`);
    parts.push(`## ${words(key).replace(/^./, (c) => c.toUpperCase())}`, ...blocks);
  }
  return `${parts.join('\n\n')}\n`;
}

measureAll().then(
  ({ run, measured }) => {
    const results = { run, targets: targets(measured), ...measured };
    fs.writeFileSync(path.join(__dirname, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    const report = markdown(results);
    fs.writeFileSync(path.join(__dirname, 'results.md'), report);
    process.stdout.write(report);
    // Each section closes its Lambda containers and servers; exit anyway rather than wait on a stray handle.
    process.exit(0);
  },
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
