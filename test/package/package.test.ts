/**
 * The package as a new user gets it: `npm pack`, installed into a fresh CDK app outside the repository, with the
 * README's usage example as its code, synthesized with `cdk synth`. It must carry the pre-bundled handlers and their
 * third-party notices, run no script at install time, and need no bundler.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readmeUsageExample } from '../support/readme-example';

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

const HANDLERS = ['bucket-access-key-handler', 'rotation-handler'];
const NOTICES = 'THIRD-PARTY-NOTICES.txt';

test('the tarball ships the compiled construct, the jsii assembly and the pre-bundled handlers, not the sources', () => {
  const files = run('tar', ['-tzf', tarball], work).split('\n');
  expect(files).toEqual(
    expect.arrayContaining([
      'package/lib/index.js',
      'package/lib/index.d.ts',
      'package/.jsii',
      ...HANDLERS.flatMap((h) => [`package/assets/${h}/index.js`, `package/assets/${h}/${NOTICES}`]),
      'package/API.md',
      'package/README.md',
      'package/CHANGELOG.md',
      'package/LICENSE',
    ]),
  );
  expect(
    files.filter(
      (f) => /^package\/(lambda|test|bin|scripts|bench)\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts')),
    ),
  ).toEqual([]);
});

test('each handler bundle ships the notices of the third-party packages in it: name, version, license and its text', () => {
  for (const handler of HANDLERS) {
    const notices = run('tar', ['-xzOf', tarball, `package/assets/${handler}/${NOTICES}`], work);
    const bundle = run('tar', ['-xzOf', tarball, `package/assets/${handler}/index.js`], work);
    // The SDK clients the handlers call are in every bundle, and so in every notices file.
    for (const client of ['@aws-sdk/client-lightsail', '@aws-sdk/client-secrets-manager', '@smithy/core']) {
      const version = JSON.parse(
        fs.readFileSync(path.join(repo, 'node_modules', client, 'package.json'), 'utf8'),
      ).version;
      expect(notices).toMatch(new RegExp(`^  ${client}@${version.replace(/\./g, '\\.')} +Apache-2\\.0$`, 'm'));
    }
    expect(notices).toContain('Apache License');
    expect(notices).toContain('TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION');
    expect(bundle.length).toBeGreaterThan(100_000);
  }
});

test('the published package.json runs nothing at install time', () => {
  const manifest = JSON.parse(run('tar', ['-xzOf', tarball, 'package/package.json'], work));
  for (const script of ['preinstall', 'install', 'postinstall', 'prepare']) {
    expect(manifest.scripts?.[script]).toBeUndefined();
  }
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
  // From the npm cache that installing this repository filled; nothing else is needed. npm's warnings are kept:
  // npm 11 warns about a dependency's install-time scripts (prepare among them) that allowScripts does not cover.
  const install = spawnSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=warn'], {
    cwd: app,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
  });
  expect(install.status).toBe(0);
  expect(`${install.stdout}\n${install.stderr}`).not.toMatch(/install.?scripts?/i);
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
  expect(resources.filter((r) => r.Type === 'Custom::LightsailBucketAccessKey')).toHaveLength(1);
  const shipped = path.join(app, 'node_modules', pkg.name, 'assets');
  const assetDirs = fs.readdirSync(assembly).filter((d) => d.startsWith('asset.'));
  const deployed = assetDirs.map((d) => fs.readFileSync(path.join(assembly, d, 'index.js'), 'utf8'));
  expect(deployed).toEqual(
    expect.arrayContaining(HANDLERS.map((h) => fs.readFileSync(path.join(shipped, h, 'index.js'), 'utf8'))),
  );
  // The deployed functions carry the notices of what they bundle, too.
  for (const dir of assetDirs) expect(fs.existsSync(path.join(assembly, dir, NOTICES))).toBe(true);
});
