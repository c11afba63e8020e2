/**
 * The package as a new user gets it: `npm pack`, installed into a fresh CDK app outside the repository, with the
 * README's usage example as its code, synthesized with `cdk synth`. It must carry the pre-bundled handlers and their
 * third-party notices, run no script at install time, need no bundler, and its resources must not depend on the
 * feature flags a `cdk init` app sets.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readmeUsageExample } from '../support/readme-example';
import { RESOURCE_TYPE } from '../../lib/contract';

jest.setTimeout(600_000);

const repo = path.join(__dirname, '..', '..');
const bin = (name: string) => path.join(repo, 'node_modules', '.bin', name);
/**
 * What the new user's app runs with: the machine's own Node.js and npm. npm puts this repository's
 * node_modules/.bin first on the PATH of its scripts, and the dev dependency `node` (the handlers' Node.js 24, for
 * the lifecycle tests) is there: without it, the consumer's install, type check and synth run on the machine's Node.
 */
const consumerEnv = {
  ...process.env,
  CI: 'true',
  PATH: (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((dir) => !dir.endsWith(path.join('node_modules', '.bin')))
    .join(path.delimiter),
};
const run = (file: string, args: string[], cwd: string) =>
  execFileSync(file, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: consumerEnv });

const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));

let work: string;
let tarball: string;
let app: string;
/** What `npm install` of the tarball printed. */
let installOutput: string;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'package-test-'));
  // npm pack builds first (prepack): the construct with jsii, the handlers with esbuild.
  run('npm', ['pack', '--pack-destination', work], repo);
  tarball = path.join(work, `${pkg.name}-${pkg.version}.tgz`);
  app = path.join(work, 'app');
  fs.mkdirSync(app);
  installApp();
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const HANDLERS = ['bucket-access-key-handler', 'rotation-handler'];
const NOTICES = 'THIRD-PARTY-NOTICES.txt';

/**
 * A fresh app that depends on the tarball, with the README example as its code: once as the README has it
 * (environment-agnostic), and once in an account and region.
 */
function installApp(): void {
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
    env: consumerEnv,
  });
  installOutput = `${install.stdout}\n${install.stderr}`;
  if (install.status !== 0) throw new Error(`npm install failed:\n${installOutput}`);
  fs.writeFileSync(
    path.join(app, 'app.ts'),
    `${readmeUsageExample()}\nimport { App, Stage } from 'aws-cdk-lib';\nconst app = new App();\n` +
      `new MediaStack(app, 'PackageTest');\n` +
      // The same stack in an account and region: a Stage gives its stacks an environment.
      `const inRegion = new Stage(app, 'InRegion', { env: { account: '111111111111', region: 'eu-west-1' } });\n` +
      `new MediaStack(inRegion, 'PackageTest');\n`,
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
}

/** `cdk synth` of the app into `outdir`, with the given context in the app's cdk.json (as `cdk init` writes it). */
function synth(outdir: string, context: Record<string, unknown>): string {
  fs.writeFileSync(path.join(app, 'cdk.json'), JSON.stringify({ app: 'node app.js', context }));
  run(bin('cdk'), ['synth', '--quiet', '--output', outdir], app);
  return path.join(app, outdir);
}

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

test("the app runs on the machine's own Node.js, not on the one this repository uses for its handlers", () => {
  const [execPath, version] = run('node', ['-p', 'process.execPath + " " + process.version'], app).trim().split(' ');
  expect(execPath.startsWith(repo)).toBe(false);
  expect(Number(version.slice(1).split('.')[0])).toBeGreaterThanOrEqual(20); // package.json's engines
});

test('a fresh app with the README example synthesizes, running the shipped handler bundle, with no bundler', () => {
  expect(installOutput).not.toMatch(/install.?scripts?/i);
  expect(fs.existsSync(path.join(app, 'node_modules', 'esbuild'))).toBe(false);
  const assembly = synth('cdk.out', {});

  const template = JSON.parse(fs.readFileSync(path.join(assembly, 'PackageTest.template.json'), 'utf8'));
  const resources = Object.values(template.Resources) as Array<{ Type: string }>;
  expect(resources.filter((r) => r.Type === RESOURCE_TYPE)).toHaveLength(1);
  const shipped = path.join(app, 'node_modules', pkg.name, 'assets');
  const assetDirs = fs.readdirSync(assembly).filter((d) => d.startsWith('asset.'));
  const deployed = assetDirs.map((d) => fs.readFileSync(path.join(assembly, d, 'index.js'), 'utf8'));
  expect(deployed).toEqual(
    expect.arrayContaining(HANDLERS.map((h) => fs.readFileSync(path.join(shipped, h, 'index.js'), 'utf8'))),
  );
  // The deployed functions carry the notices of what they bundle, too.
  for (const dir of assetDirs) expect(fs.existsSync(path.join(assembly, dir, NOTICES))).toBe(true);
});

describe('feature flags', () => {
  /**
   * What a resource of ours does once deployed, whatever flag changed its rendering:
   * - `@aws-cdk/aws-iam:minimizePolicies` sorts the actions of our handlers' policy statements and may merge
   *   statements: IAM policy documents are compared as the set of single permissions they grant;
   * - `@aws-cdk/core:enablePartitionLiterals` writes `arn:aws:` instead of `arn:${AWS::Partition}:` in a stack
   *   whose region is known: ARNs are compared with the partition filled in, as CloudFormation does in `aws`.
   * Metadata (paths, asset locations for local tools) is left out.
   */
  function deployed(resource: Record<string, unknown>): unknown {
    const { Metadata: _, ...rest } = resource;
    return canonical(rest);
  }

  function canonical(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(canonical);
    if (value === null || typeof value !== 'object') return value;
    const v = value as Record<string, unknown>;
    if (v.Ref === 'AWS::Partition') return 'aws';
    if (Array.isArray(v['Fn::Join'])) {
      const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
      const joined = (parts.map(canonical) as unknown[]).reduce<unknown[]>((acc, part) => {
        const last = acc.at(-1);
        if (typeof part === 'string' && typeof last === 'string') acc[acc.length - 1] = last + separator + part;
        else acc.push(part);
        return acc;
      }, []);
      return joined.length === 1 && typeof joined[0] === 'string' ? joined[0] : { 'Fn::Join': [separator, joined] };
    }
    if (Array.isArray(v.Statement)) return { ...v, Statement: permissions(v.Statement as Record<string, unknown>[]) };
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, canonical(x)]));
  }

  /** A policy's statements as the sorted set of single (effect, principal, action, resource, condition) grants. */
  function permissions(statements: Record<string, unknown>[]): string[] {
    const each = (x: unknown) => (x === undefined ? [undefined] : [x].flat());
    const grants = statements.flatMap((s) =>
      each(s.Action).flatMap((action) =>
        each(s.Resource).map((resource) =>
          JSON.stringify(canonical([s.Effect, s.Principal, action, resource, s.Condition, s.Sid])),
        ),
      ),
    );
    return [...new Set(grants)].sort();
  }

  /** The stack's template: at the top of the assembly, or in a stage's nested assembly. */
  function templateOf(assembly: string, stage?: string): Record<string, unknown> {
    const dir = stage ? path.join(assembly, `assembly-${stage}`) : assembly;
    const file = fs.readdirSync(dir).find((f) => /^(\w+)?PackageTest\w*\.template\.json$/.test(f))!;
    return JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  }

  /** Our resources in a template, by logical id: the key's and the stack's shared handlers'. */
  function ours(assembly: string, stage?: string): Record<string, unknown> {
    const template = templateOf(assembly, stage);
    const stackPath = stage ? `${stage}/PackageTest` : 'PackageTest';
    const mine = (r: { Metadata?: Record<string, string> }) =>
      [`${stackPath}/MediaKey/`, `${stackPath}/LightsailBucketAccessKeyProvider/`].some((prefix) =>
        r.Metadata?.['aws:cdk:path']?.startsWith(prefix),
      );
    return Object.fromEntries(
      Object.entries(template.Resources as Record<string, Record<string, unknown>>)
        .filter(([, r]) => mine(r as { Metadata?: Record<string, string> }))
        .map(([id, r]) => [id, deployed(r)]),
    );
  }

  test("the recommended flags of the installed aws-cdk-lib leave our constructs' resources as they deploy", () => {
    const recommended = JSON.parse(
      fs.readFileSync(path.join(app, 'node_modules', 'aws-cdk-lib', 'recommended-feature-flags.json'), 'utf8'),
    );
    expect(Object.keys(recommended).length).toBeGreaterThan(50);
    const without = synth('cdk.out.without-flags', {});
    const withFlags = synth('cdk.out.with-flags', recommended);

    for (const stage of [undefined, 'InRegion']) {
      const before = ours(without, stage);
      // The key's secret and custom resource, its rotation schedule, the handlers, their roles, policies and logs.
      expect(Object.keys(before).length).toBeGreaterThanOrEqual(10);
      expect(ours(withFlags, stage)).toEqual(before);
    }
  });
});
