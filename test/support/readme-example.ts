/**
 * The README's usage examples (TypeScript, Python, Java and Go), the example app region the TypeScript one is copied
 * from, the Java and Go apps' stacks the Java and Go ones are copied from, and jsii-rosetta's translations.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const PACKAGE_NAME = 'cdk-lightsail-bucket-access-key';
const root = path.join(__dirname, '..', '..');

/**
 * The code block of `language` between `<!-- marker:start -->` and `<!-- marker:end -->` in the README, or in another
 * document of the repository (`file`, relative to its root, such as `docs/vpc.md`).
 */
export function readmeBlock(marker: string, language: string, file = 'README.md'): string {
  const readme = fs.readFileSync(path.join(root, file), 'utf8');
  const match = readme.match(
    new RegExp(`<!-- ${marker}:start -->\\n+\`\`\`${language}[^\\n]*\\n([\\s\\S]*?)\`\`\`\\n+<!-- ${marker}:end -->`),
  );
  if (!match)
    throw new Error(`${file} has no ${language} block between <!-- ${marker}:start --> and <!-- ${marker}:end -->`);
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

/** The Java usage example: the Java app's MediaStack.java. */
export function readmeJavaUsageExample(): string {
  return readmeBlock('usage-java', 'java');
}

/** The Go usage example: the Go app's media_stack.go. */
export function readmeGoUsageExample(): string {
  return readmeBlock('usage-go', 'go');
}

/** The stacks of the example apps in Java and Go that `npm run test:languages` synthesizes. */
export const JAVA_STACK = path.join(root, 'test', 'languages', 'java', 'src', 'main', 'java', 'MediaStack.java');
export const GO_STACK = path.join(root, 'test', 'languages', 'go', 'media_stack.go');

export function appUsageRegion(): string {
  const app = fs.readFileSync(path.join(root, 'bin', 'media-stack.ts'), 'utf8');
  const match = app.match(/\/\/ usage:start\n([\s\S]*?)\/\/ usage:end\n/);
  if (!match) throw new Error('bin/media-stack.ts has no region between "// usage:start" and "// usage:end"');
  return match[1];
}

/**
 * jsii-rosetta's translation of a TypeScript example of the README, from the tablet that the build writes beside the
 * jsii assembly (`.jsii.tabl.json`, by `jsii-rosetta extract`).
 */
export function rosettaTranslation(typescript: string, language: 'python' | 'java' | 'go'): string {
  const tablet = path.join(root, '.jsii.tabl.json');
  if (!fs.existsSync(tablet)) throw new Error(`${tablet} is missing: run \`npm run build\` first`);
  const { snippets } = JSON.parse(fs.readFileSync(tablet, 'utf8'));
  const snippet = Object.values<any>(snippets).find((s) => s.translations.$.source.trim() === typescript.trim());
  if (!snippet) throw new Error('the tablet has no translation of this example: run `npm run build` first');
  return `${snippet.translations[language].source.trim()}\n`;
}

/** jsii-rosetta's Python translation of a TypeScript example of the README. */
export function rosettaPythonTranslation(typescript: string): string {
  return rosettaTranslation(typescript, 'python');
}
