// Copies the example stack's usage region (bin/media-stack.ts) into the README's usage example, importing the
// published package instead of ../lib. test/docs/readme.test.ts fails when the two differ.
import { readFileSync, writeFileSync } from 'node:fs';

const stack = readFileSync('bin/media-stack.ts', 'utf8');
const region = stack
  .match(/\/\/ usage:start\n([\s\S]*?)\/\/ usage:end\n/)[1]
  .replace("from '../lib';", "from 'cdk-lightsail-bucket-access-key';");
const readme = readFileSync('README.md', 'utf8');
const updated = readme.replace(
  /<!-- usage:start -->\n+```ts\n[\s\S]*?```\n+<!-- usage:end -->/,
  `<!-- usage:start -->\n\n\`\`\`ts\n${region}\`\`\`\n\n<!-- usage:end -->`,
);
writeFileSync('README.md', updated);
