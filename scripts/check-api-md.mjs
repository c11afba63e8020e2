// Fails when API.md is not what jsii-docgen generates from the current .jsii assembly (run `npm run docgen`).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'api-md-'));
try {
  execFileSync('npx', ['jsii-docgen', '-o', join(dir, 'API.md')], { stdio: 'inherit' });
  if (readFileSync(join(dir, 'API.md'), 'utf8') !== readFileSync('API.md', 'utf8')) {
    console.error('API.md is out of date: run `npm run build:jsii && npm run docgen` and commit it.');
    process.exitCode = 1;
  } else {
    console.log('API.md is current');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
