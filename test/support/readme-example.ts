/** The README's usage example and the example app region it is copied from. */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const PACKAGE_NAME = 'cdk-lightsail-bucket-access-key';
const root = path.join(__dirname, '..', '..');

export function readmeUsageExample(): string {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const match = readme.match(/<!-- usage:start -->\n+```ts\n([\s\S]*?)```\n+<!-- usage:end -->/);
  if (!match) throw new Error('README.md has no usage example between <!-- usage:start --> and <!-- usage:end -->');
  return match[1];
}

export function appUsageRegion(): string {
  const app = fs.readFileSync(path.join(root, 'bin', 'media-stack.ts'), 'utf8');
  const match = app.match(/\/\/ usage:start\n([\s\S]*?)\/\/ usage:end\n/);
  if (!match) throw new Error('bin/media-stack.ts has no region between "// usage:start" and "// usage:end"');
  return match[1];
}
