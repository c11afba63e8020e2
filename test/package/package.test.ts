/**
 * The package as a new user gets it: `npm pack`, installed into a fresh CDK app outside the repository, with the
 * README's usage example as its code, synthesized with `cdk synth`. It must carry the pre-bundled handlers and need
 * no bundler.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readmeUsageExample } from '../support/readme-example';
import { RESOURCE_TYPE } from '../../lib/contract';

jest.setTimeout(600_000);

const repo = path.join(__dirname, '..', '..');
const bin = (name: string) => path.join(repo, 'node_modules', '.bin', name);
const run = (file: string, args: string[], cwd: string) =>
  execFileSync(file, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: 'true' },
  });

let work: string;
let tarball: string;
let app: string;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'package-test-'));
  // npm pack builds first (prepack): the construct with jsii, the handlers with esbuild.
  run('npm', ['pack', '--pack-destination', work], repo);
  const { name, version } = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
  tarball = path.join(work, `${name}-${version}.tgz`);
  app = path.join(work, 'app');
  fs.mkdirSync(app);
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

test('the tarball ships the compiled construct, the jsii assembly and the pre-bundled handlers, not the sources', () => {
  const files = run('tar', ['-tzf', tarball], work).split('\n');
  expect(files).toEqual(
    expect.arrayContaining([
      'package/lib/index.js',
      'package/lib/index.d.ts',
      'package/.jsii',
      'package/assets/bucket-access-key-handler/index.js',
      'package/assets/rotation-handler/index.js',
      'package/API.md',
      'package/README.md',
      'package/LICENSE',
    ]),
  );
  expect(
    files.filter(
      (f) => /^package\/(lambda|test|bin|scripts|bench)\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts')),
    ),
  ).toEqual([]);
});

test('a fresh app with the README example synthesizes, running the shipped handler bundle, with no bundler', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
  fs.writeFileSync(
    path.join(app, 'package.json'),
    JSON.stringify({
      name: 'package-test-app',
      private: true,
      dependencies: {
        [pkg.name]: `file:${tarball}`,
        'aws-cdk-lib': pkg.devDependencies['aws-cdk-lib'],
        constructs: pkg.devDependencies.constructs,
      },
    }),
  );
  // From the npm cache that installing this repository filled; nothing else is needed.
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], app);
  expect(fs.existsSync(path.join(app, 'node_modules', 'esbuild'))).toBe(false);

  fs.writeFileSync(
    path.join(app, 'app.ts'),
    `${readmeUsageExample()}\nimport { App } from 'aws-cdk-lib';\nnew MediaStack(new App(), 'PackageTest');\n`,
  );
  fs.writeFileSync(
    path.join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'commonjs',
        strict: true,
        esModuleInterop: true,
        skipLibCheck: true,
      },
    }),
  );
  run(bin('tsc'), ['-p', '.'], app); // the README example type-checks against the installed package
  run(bin('cdk'), ['synth', '--app', 'node app.js', '--quiet'], app);

  const assembly = path.join(app, 'cdk.out');
  const template = JSON.parse(fs.readFileSync(path.join(assembly, 'PackageTest.template.json'), 'utf8'));
  const resources = Object.values(template.Resources) as Array<{ Type: string }>;
  expect(resources.filter((r) => r.Type === RESOURCE_TYPE)).toHaveLength(1);
  const shipped = path.join(app, 'node_modules', pkg.name, 'assets');
  const assetDirs = fs.readdirSync(assembly).filter((d) => d.startsWith('asset.'));
  const deployed = assetDirs.map((d) => fs.readFileSync(path.join(assembly, d, 'index.js'), 'utf8'));
  expect(deployed).toEqual(
    expect.arrayContaining([
      fs.readFileSync(path.join(shipped, 'bucket-access-key-handler', 'index.js'), 'utf8'),
      fs.readFileSync(path.join(shipped, 'rotation-handler', 'index.js'), 'utf8'),
    ]),
  );
});
