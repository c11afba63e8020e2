/**
 * The README's usage examples (TypeScript and Python), the example app region the TypeScript one is copied from, and
 * jsii-rosetta's Python translation of it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const PACKAGE_NAME = 'cdk-lightsail-bucket-access-key';
const root = path.join(__dirname, '..', '..');

/** The code block of `language` between `<!-- marker:start -->` and `<!-- marker:end -->` in the README. */
export function readmeBlock(marker: string, language: string): string {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const match = readme.match(
    new RegExp(`<!-- ${marker}:start -->\\n+\`\`\`${language}[^\\n]*\\n([\\s\\S]*?)\`\`\`\\n+<!-- ${marker}:end -->`),
  );
  if (!match)
    throw new Error(`README.md has no ${language} block between <!-- ${marker}:start --> and <!-- ${marker}:end -->`);
  return match[1];
}

/** The TypeScript usage example. */
export function readmeUsageExample(): string {
  return readmeBlock('usage', 'ts');
}

/** The Python usage example. */
export function readmePythonUsageExample(): string {
  return readmeBlock('usage-python', 'python');
}

export function appUsageRegion(): string {
  const app = fs.readFileSync(path.join(root, 'bin', 'media-stack.ts'), 'utf8');
  const match = app.match(/\/\/ usage:start\n([\s\S]*?)\/\/ usage:end\n/);
  if (!match) throw new Error('bin/media-stack.ts has no region between "// usage:start" and "// usage:end"');
  return match[1];
}

/**
 * jsii-rosetta's Python translation of a TypeScript example of the README, from the tablet that the build writes
 * beside the jsii assembly (`.jsii.tabl.json`, by `jsii-rosetta extract`).
 */
export function rosettaPythonTranslation(typescript: string): string {
  const tablet = path.join(root, '.jsii.tabl.json');
  if (!fs.existsSync(tablet)) throw new Error(`${tablet} is missing: run \`npm run build\` first`);
  const { snippets } = JSON.parse(fs.readFileSync(tablet, 'utf8'));
  const snippet = Object.values<any>(snippets).find((s) => s.translations.$.source.trim() === typescript.trim());
  if (!snippet) throw new Error('the tablet has no translation of this example: run `npm run build` first');
  return `${snippet.translations.python.source.trim()}\n`;
}
