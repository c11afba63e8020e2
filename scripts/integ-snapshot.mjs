// Checks (or, with --update, rewrites) the committed snapshot of the integration test without deploying it.
//
// The snapshot is what `integ-runner` writes into test/integ.bucket-access-key.ts.snapshot/: the whole cloud assembly
// of the test, synthesized as integ-runner synthesizes it, then cleaned as it cleans it. integ-runner 2.197 (the
// newest published) cannot read the cloud assembly schema that aws-cdk-lib 2.276 writes (version 55; it stops at 53),
// so until it can, this script does both, and compares what its snapshot mode compares and more:
//
// - synthesis: integ-runner's recommended feature flags without `@aws-cdk/core:target-partitions`, no version
//   reporting, bundling for every stack, and its CDK_INTEG_* environment;
// - cleaning: the asset directories of the stacks of test cases without the update workflow are removed (here the
//   handler bundle of the tested stack; the assertion provider's bundle stays), so is `.cache/`, and traces are
//   removed from the metadata. Beyond integ-runner, the creation stacks in the `*.metadata.json` files are removed
//   too: they hold file system paths of the machine that synthesized.
//
// Then every file is compared: templates and asset manifests as integ-runner does, apart from the salts of the
// assertions (see normalized()); manifest.json apart from the template hashes those salts change; every other file,
// asset directories included, byte for byte.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

const TEST = 'test/integ.bucket-access-key.ts';
const SNAPSHOT = `${TEST}.snapshot`;
const update = process.argv.includes('--update');

/** Synthesizes the test into `outdir` with the context and environment integ-runner gives it. */
function synthesize(outdir) {
  const context = JSON.parse(
    readFileSync('node_modules/@aws-cdk/integ-runner/lib/recommended-feature-flags.json', 'utf8'),
  );
  delete context['@aws-cdk/core:target-partitions'];
  Object.assign(context, { 'aws:cdk:disable-version-reporting': true, 'aws:cdk:bundling-stacks': ['**'] });
  execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', TEST], {
    stdio: 'inherit',
    env: {
      ...process.env,
      TS_NODE_PREFER_TS_EXTS: 'true',
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify(context),
      CDK_INTEG_ACCOUNT: '12345678',
      CDK_INTEG_REGION: 'test-region',
      CDK_INTEG_HOSTED_ZONE_ID: 'Z23ABC4XYZL05B',
      CDK_INTEG_HOSTED_ZONE_NAME: 'example.com',
      CDK_INTEG_DOMAIN_NAME: '*.example.com',
      CDK_INTEG_CERT_ARN: 'arn:aws:acm:test-region:12345678:certificate/86468209-a272-595d-b831-0efb6421265z',
      CDK_INTEG_SUBNET_ID: 'subnet-0dff1a399d8f6f92c',
    },
  });
}

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
const writeJson = (file, value) => writeFileSync(file, `${JSON.stringify(value, undefined, 2)}\n`);

/** Cleans a synthesized assembly into the snapshot layout, in place. */
function clean(dir) {
  const { testCases } = readJson(join(dir, 'integ.json'));
  const withoutUpdateWorkflow = Object.values(testCases).filter((t) => t.stackUpdateWorkflow === false);
  for (const stack of withoutUpdateWorkflow.flatMap((t) => t.stacks)) {
    const manifest = join(dir, `${stack}.assets.json`);
    if (!existsSync(manifest)) continue;
    const { files = {}, dockerImages = {} } = readJson(manifest);
    const sources = [
      ...Object.values(files).map((f) => f.source.path),
      ...Object.values(dockerImages).map((d) => d.source.directory),
    ];
    for (const source of sources.filter((s) => s?.startsWith('asset.'))) {
      rmSync(join(dir, source), { recursive: true, force: true });
    }
  }
  rmSync(join(dir, '.cache'), { recursive: true, force: true });

  const cleanEntries = (entries) =>
    entries.filter((e) => e.type !== 'aws:cdk:creationStack').map(({ type, data }) => ({ type, data }));
  const manifest = readJson(join(dir, 'manifest.json'));
  for (const artifact of Object.values(manifest.artifacts ?? {})) {
    if (!artifact.metadata) continue;
    for (const [path, entries] of Object.entries(artifact.metadata)) artifact.metadata[path] = cleanEntries(entries);
  }
  writeJson(join(dir, 'manifest.json'), manifest);
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.metadata.json'))) {
    const metadata = readJson(join(dir, file));
    writeJson(join(dir, file), Object.fromEntries(Object.entries(metadata).map(([p, e]) => [p, cleanEntries(e)])));
  }
}

/** Every file under `dir`, as paths relative to it. */
function files(dir, prefix = '') {
  return readdirSync(join(dir, prefix))
    .flatMap((f) => (statSync(join(dir, prefix, f)).isDirectory() ? files(dir, join(prefix, f)) : [join(prefix, f)]))
    .sort();
}

/**
 * What is compared of a JSON file. The assertion provider salts each assertion with the synthesis time (so that
 * assertions run on every deploy): salts are left out, and so are the hashes that follow them: the assets
 * manifests' entries for the templates themselves, and the template URLs in manifest.json.
 */
function normalized(file, json) {
  const strip = (value) => {
    if (Array.isArray(value)) return value.map(strip);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => k !== 'salt')
        .map(([k, v]) => [k, strip(v)]),
    );
  };
  const out = strip(json);
  if (file.endsWith('.assets.json') && out.files) {
    out.files = Object.fromEntries(
      Object.entries(out.files).filter(([, f]) => !String(f.source?.path).endsWith('.template.json')),
    );
  }
  if (file === 'manifest.json') {
    for (const artifact of Object.values(out.artifacts ?? {})) {
      const url = artifact.properties?.stackTemplateAssetObjectUrl;
      if (url) artifact.properties.stackTemplateAssetObjectUrl = url.replace(/[0-9a-f]{64}\.json$/, '<hash>.json');
    }
  }
  return out;
}

/** What differs in one file, or undefined. */
function difference(file, before, after) {
  if (before.equals(after)) return undefined;
  if (!file.endsWith('.json') || file.includes('/')) return `${file} changed`;
  let b, a;
  try {
    [b, a] = [before, after].map((content) => normalized(file, JSON.parse(content.toString('utf8'))));
  } catch {
    return `${file} changed (not valid JSON)`;
  }
  if (isDeepStrictEqual(b, a)) return undefined;
  const entries = (json) => json.Resources ?? json.files;
  if (entries(b) || entries(a)) {
    const ids = new Set([...Object.keys(entries(b) ?? {}), ...Object.keys(entries(a) ?? {})]);
    const changed = [...ids].filter((id) => !isDeepStrictEqual(entries(b)?.[id], entries(a)?.[id]));
    return `${file} changed: ${changed.join(', ') || 'outside its resources'}`;
  }
  return `${file} changed`;
}

const outdir = mkdtempSync(join(tmpdir(), 'integ-'));
try {
  synthesize(outdir);
  clean(outdir);
  if (update) {
    rmSync(SNAPSHOT, { recursive: true, force: true });
    cpSync(outdir, SNAPSHOT, { recursive: true });
    console.log(`updated ${SNAPSHOT}: ${files(SNAPSHOT).join(', ')}`);
  } else {
    const expected = existsSync(SNAPSHOT) ? files(SNAPSHOT) : [];
    const actual = files(outdir);
    const problems = [];
    const missing = actual.filter((f) => !expected.includes(f));
    const extra = expected.filter((f) => !actual.includes(f));
    if (missing.length) problems.push(`not in the snapshot: ${missing.join(', ')}`);
    if (extra.length) problems.push(`in the snapshot, no longer synthesized: ${extra.join(', ')}`);
    for (const file of expected.filter((f) => actual.includes(f))) {
      const problem = difference(file, readFileSync(join(SNAPSHOT, file)), readFileSync(join(outdir, file)));
      if (problem) problems.push(problem);
    }
    if (problems.length) {
      console.error(
        `${SNAPSHOT} is out of date:\n  ${problems.join('\n  ')}\nRun \`npm run integ:update\` if the change is intended.`,
      );
      process.exitCode = 1;
    } else {
      console.log(`UNCHANGED ${TEST} (${expected.length} files compared)`);
    }
  }
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
