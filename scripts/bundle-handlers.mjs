// Bundles each Lambda handler into assets/<name>/index.js, the code the construct deploys and the package ships,
// so that a consumer's `cdk synth` needs no bundler. Minified for cold start; SDK clients are bundled (not taken
// from the Lambda runtime) so that the code tested is the code that runs.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

const handlers = {
  'bucket-access-key-handler': 'lambda/bucket-access-key/index.ts',
  'rotation-handler': 'lambda/rotation/index.ts',
};

rmSync('assets', { recursive: true, force: true });
for (const [name, entry] of Object.entries(handlers)) {
  await build({
    entryPoints: [entry],
    outfile: `assets/${name}/index.js`,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    // The SDK's ES module builds let esbuild leave out the operations the handler does not use.
    mainFields: ['module', 'main'],
    minify: true,
    legalComments: 'linked',
    logLevel: 'warning',
  });
}
