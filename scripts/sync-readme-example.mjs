// Rewrites the README's usage examples. The TypeScript one is the example stack's usage region (bin/media-stack.ts),
// importing the published package instead of ../lib. The Python one is jsii-rosetta's translation of it: the README
// is part of the jsii assembly, so this compiles the assembly, has jsii-rosetta translate its examples into the
// tablet (as the build does), and copies the Python translation. The Java and Go ones are the stacks of the Java and
// Go example apps that `npm run test:languages` synthesizes. test/docs/readme.test.ts fails when any differs.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const region = readFileSync('bin/media-stack.ts', 'utf8')
  .match(/\/\/ usage:start\n([\s\S]*?)\/\/ usage:end\n/)[1]
  .replace("from '../lib';", "from 'cdk-lightsail-bucket-access-key';");

function replaceBlock(marker, fence, code) {
  const pattern = new RegExp(`<!-- ${marker}:start -->\\n+\`\`\`[^\\n]*\\n[\\s\\S]*?\`\`\`\\n+<!-- ${marker}:end -->`);
  const readme = readFileSync('README.md', 'utf8');
  if (!pattern.test(readme)) throw new Error(`README.md has no block between <!-- ${marker}:start/end -->`);
  writeFileSync(
    'README.md',
    readme.replace(
      pattern,
      () => `<!-- ${marker}:start -->\n\n\`\`\`${fence}\n${code}\`\`\`\n\n<!-- ${marker}:end -->`,
    ),
  );
}

// The example is a whole module (imports and a stack class), so it compiles without the default fixture.
replaceBlock('usage', 'ts nofixture', region);

execFileSync('npm', ['run', '--silent', 'build:jsii'], { stdio: 'inherit' });
execFileSync('npm', ['run', '--silent', 'rosetta:extract'], { stdio: 'inherit' });
const { snippets } = JSON.parse(readFileSync('.jsii.tabl.json', 'utf8'));
const snippet = Object.values(snippets).find((s) => s.translations.$.source.trim() === region.trim());
if (!snippet) throw new Error('jsii-rosetta did not translate the usage example');
replaceBlock('usage-python', 'python', `${snippet.translations.python.source.trim()}\n`);
replaceBlock('usage-java', 'java', readFileSync('test/languages/java/src/main/java/MediaStack.java', 'utf8'));
replaceBlock('usage-go', 'go', readFileSync('test/languages/go/media_stack.go', 'utf8'));

// The assembly holds the README: build it again, with its tablet, as the build would.
execFileSync('npm', ['run', '--silent', 'build:jsii'], { stdio: 'inherit' });
execFileSync('npm', ['run', '--silent', 'rosetta:extract'], { stdio: 'inherit' });
console.log(
  'README.md: usage examples rewritten (TypeScript from bin/media-stack.ts, Python by jsii-rosetta, Java and Go from ' +
    'test/languages)',
);
