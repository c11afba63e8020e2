// Checks (or, with --update, rewrites) the committed snapshot of the integration test without deploying it.
//
// This is what `integ-runner` in snapshot mode does, for the part it compares: the synthesized CloudFormation
// templates, asset hashes included. integ-runner 2.197 (the newest published) cannot read the cloud assembly
// schema that aws-cdk-lib 2.276 writes (version 55; it stops at 53), so until it can, this script synthesizes the
// test the way integ-runner does (its recommended feature flags) and compares every stack's template.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

const TEST = 'test/integ.bucket-access-key.ts';

/**
 * What is compared. The assertion provider salts each assertion with the synthesis time (so that assertions run
 * on every deploy): salts are left out, and so are the assets manifests' entries for the templates themselves,
 * whose hashes follow the salts. The templates are compared whole.
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
  return out;
}
const SNAPSHOT = `${TEST}.snapshot`;
const update = process.argv.includes('--update');

const outdir = mkdtempSync(join(tmpdir(), 'integ-'));
try {
  execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', TEST], {
    stdio: 'inherit',
    env: {
      ...process.env,
      TS_NODE_PREFER_TS_EXTS: 'true',
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: readFileSync('node_modules/@aws-cdk/integ-runner/lib/recommended-feature-flags.json', 'utf8'),
    },
  });
  const compared = (dir) => readdirSync(dir).filter((f) => f.endsWith('.template.json') || f.endsWith('.assets.json'));

  if (update) {
    rmSync(SNAPSHOT, { recursive: true, force: true });
    mkdirSync(SNAPSHOT);
    for (const file of compared(outdir)) cpSync(join(outdir, file), join(SNAPSHOT, file));
    console.log(`updated ${SNAPSHOT}: ${compared(SNAPSHOT).join(', ')}`);
  } else {
    const expected = compared(SNAPSHOT).sort();
    const actual = compared(outdir).sort();
    const problems = [];
    if (!isDeepStrictEqual(expected, actual))
      problems.push(`files differ: snapshot ${expected} vs synthesized ${actual}`);
    for (const file of expected.filter((f) => actual.includes(f))) {
      const before = normalized(file, JSON.parse(readFileSync(join(SNAPSHOT, file), 'utf8')));
      const after = normalized(file, JSON.parse(readFileSync(join(outdir, file), 'utf8')));
      if (isDeepStrictEqual(before, after)) continue;
      const ids = new Set([
        ...Object.keys(before.Resources ?? before.files ?? {}),
        ...Object.keys(after.Resources ?? after.files ?? {}),
      ]);
      const changed = [...ids].filter(
        (id) => !isDeepStrictEqual((before.Resources ?? before.files)?.[id], (after.Resources ?? after.files)?.[id]),
      );
      problems.push(`${file} changed: ${changed.join(', ') || 'outside its resources'}`);
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
