// Bundles each Lambda handler into assets/<name>/index.js, the code the construct deploys and the package ships,
// so that a consumer's `cdk synth` needs no bundler. Minified for cold start; SDK clients are bundled (not taken
// from the Lambda runtime) so that the code tested is the code that runs.
//
// Beside each bundle goes THIRD-PARTY-NOTICES.txt: every third-party package whose code esbuild put into the bundle
// (read from esbuild's metafile), with its version, license and license text, and its NOTICE file when it has one.
// The notices travel with the code: in the npm package, the jsii assembly tarball, and the deployed function.
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import spdx from 'spdx-license-list/full.js';

const handlers = {
  'bucket-access-key-handler': 'lambda/bucket-access-key/index.ts',
  'rotation-handler': 'lambda/rotation/index.ts',
};
export const NOTICES_FILE = 'THIRD-PARTY-NOTICES.txt';

rmSync('assets', { recursive: true, force: true });
for (const [name, entry] of Object.entries(handlers)) {
  const outfile = `assets/${name}/index.js`;
  const { metafile } = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    // The SDK's ES module builds let esbuild leave out the operations the handler does not use.
    mainFields: ['module', 'main'],
    minify: true,
    // License comments in the code, if a package has any, stay in the bundle (the notices file has the rest).
    legalComments: 'eof',
    metafile: true,
    logLevel: 'warning',
  });
  writeFileSync(join(dirname(outfile), NOTICES_FILE), notices(outfile, bundledPackages(metafile.outputs[outfile])));
}

/** The packages (directories under node_modules) that contributed code to the output, by name and version. */
function bundledPackages(output) {
  const dirs = new Set();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match && bytesInOutput > 0) dirs.add(match[1]);
  }
  return [...dirs]
    .map((dir) => {
      const { name, version, license } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      const files = readdirSync(dir).sort();
      const read = (pattern) => files.filter((f) => pattern.test(f)).map((f) => readFileSync(join(dir, f), 'utf8'));
      return {
        name,
        version,
        license,
        licenseTexts: read(/^(licen[cs]e|copying)([.-]|$)/i),
        noticeTexts: read(/^notice([.-]|$)/i),
      };
    })
    .sort((a, b) => `${a.name}@${a.version}`.localeCompare(`${b.name}@${b.version}`));
}

/**
 * The notices file: a list of the packages, then each distinct license text once, headed by the packages it
 * covers, then each NOTICE file. A package that ships no license file gets its license's standard text from the
 * SPDX license list, and the file says so; a package with neither a license file nor a single SPDX license
 * stops the build.
 */
function notices(outfile, packages) {
  const rule = '='.repeat(100);
  const byText = new Map();
  for (const pkg of packages) {
    if (typeof pkg.license !== 'string' || !pkg.license) {
      throw new Error(`${pkg.name}@${pkg.version} (bundled into ${outfile}) declares no license`);
    }
    let texts = pkg.licenseTexts;
    let source = 'the license file of each package';
    if (texts.length === 0) {
      const standard = spdx[pkg.license]?.licenseText;
      if (!standard) {
        throw new Error(
          `${pkg.name}@${pkg.version} (bundled into ${outfile}) ships no license file and its license ` +
            `"${pkg.license}" is not one SPDX license: add its license text here by hand`,
        );
      }
      texts = [standard];
      source = `the SPDX license list: the standard ${pkg.license} text, as these packages ship no license file`;
    }
    for (const text of texts) {
      const key = `${source}\n${text.trim()}`;
      if (!byText.has(key)) byText.set(key, { source, text: text.trim(), packages: [] });
      byText.get(key).packages.push(pkg);
    }
  }

  const id = (pkg) => `${pkg.name}@${pkg.version}`;
  const width = Math.max(...packages.map((p) => id(p).length));
  const lines = [
    `Third-party software in ${outfile.replace(/^assets\//, '')}`,
    '',
    `The bundle contains code of the following ${packages.length} packages (name@version, license). Their license`,
    'texts and notices follow.',
    '',
    ...packages.map((p) => `  ${id(p).padEnd(width)}  ${p.license}`),
  ];
  for (const { source, text, packages: covered } of byText.values()) {
    lines.push('', rule, `License text for: ${covered.map(id).join(', ')}`, `(source: ${source})`, rule, '', text);
  }
  for (const pkg of packages) {
    for (const text of pkg.noticeTexts) {
      lines.push('', rule, `NOTICE of ${id(pkg)}`, rule, '', text.trim());
    }
  }
  return `${lines.join('\n')}\n`;
}
