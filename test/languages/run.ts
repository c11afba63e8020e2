/**
 * `npm run test:languages`: the packages that `npm run package` left in dist/, used by real apps in Python, Java and
 * Go. Each app is its language's usage example in the README, in an app as `cdk init` writes one, with the example
 * app's cdk.json context; `cdk synth` (this repository's aws-cdk CLI) synthesizes it, and its template is compared
 * with the TypeScript example's (templates.ts). Then cfn-lint checks every template: the TypeScript example's, the
 * integration test's snapshot and the three apps'. It ends with one line per language.
 *
 * Dependencies come from the registries with the ordinary clients, at the lowest versions the package allows (Go's
 * minimal version selection decides there). When a registry does not serve one of the jsii libraries the package
 * needs at that version, it is built the way it is published, by jsii-pacmak from its npm package in node_modules,
 * and the line says so. Everything the run makes is in languages.out/ (not committed); the caches are the tools'
 * own (pip's, Maven's local repository, Go's module and build caches).
 *
 * Usage: npm run test:languages [-- python java go]
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { readmePythonUsageExample } from '../support/readme-example';
import { EXPLAINED, Template, compareTemplates, summarise } from './templates';

const ROOT = path.join(__dirname, '..', '..');
const OUT = path.join(ROOT, 'languages.out');
const APPS = __dirname;
const STACK = 'LightsailBucketAccessKeyExample';
const CFN_LINT = 'cfn-lint==1.58.0';
/** The README's boto3 consumer runs with this boto3, from PyPI. */
const BOTO3 = 'boto3==1.44.8';
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const { context } = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8'));

/**
 * The environment a user's shell has: the machine's own Node.js, which the jsii runtimes start, not the Node.js 24
 * that npm puts first on the PATH of this repository's scripts (node_modules/.bin, see test/package).
 */
const USER_ENV = {
  ...process.env,
  PATH: (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((dir) => !dir.endsWith(path.join('node_modules', '.bin')))
    .join(path.delimiter),
};

interface Outcome {
  language: string;
  template?: string;
  line: string;
  ok: boolean;
}

/** Runs a command; its output is shown only when it fails. */
function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? ROOT,
    env: options.env ?? USER_ENV,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ?? ''}`.trim().split('\n');
    throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${output.slice(-40).join('\n')}`);
  }
  return result.stdout;
}

function succeeds(command: string, args: string[]): boolean {
  return spawnSync(command, args, { cwd: ROOT, env: USER_ENV }).status === 0;
}

/** Wall time of each step, for the summary. */
class Clock {
  private readonly started = Date.now();
  readonly steps: string[] = [];
  step<T>(name: string, work: () => T): T {
    const started = Date.now();
    const result = work();
    this.steps.push(`${name} ${seconds(Date.now() - started)}`);
    return result;
  }
  get total() {
    return seconds(Date.now() - this.started);
  }
}
const seconds = (ms: number) =>
  ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;

/** A fresh working directory for one language, with a copy of its app. */
function workDir(language: string, app?: string): string {
  const dir = path.join(OUT, language);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  if (app) fs.cpSync(app, dir, { recursive: true });
  return dir;
}

/** `cdk synth` of the app in `dir`, as `cdk.json` there runs it; returns the stack's template file. */
function synth(dir: string, app: string, env: NodeJS.ProcessEnv = USER_ENV): string {
  fs.writeFileSync(path.join(dir, 'cdk.json'), JSON.stringify({ app, context }, null, 2));
  run(path.join(ROOT, 'node_modules', '.bin', 'cdk'), ['synth', '--quiet', '--output', 'cdk.out'], { cwd: dir, env });
  return path.join(dir, 'cdk.out', `${STACK}.template.json`);
}

/** The jsii libraries the package is built against (its peer dependencies), at the lowest versions it allows. */
function lowestPeers(): Array<{ name: string; version: string; dir: string }> {
  return Object.entries<string>(pkg.peerDependencies).map(([name, range]) => {
    const version = range.match(/^\^(\d+\.\d+\.\d+)$/)?.[1];
    if (!version) throw new Error(`${name}: cannot take the lowest version of the peer range ${range}`);
    const dir = path.join(ROOT, 'node_modules', name);
    return { name, version, dir };
  });
}

/** Generates a jsii library's bindings for one language from its npm package, as its publisher does. */
function generate(target: 'python' | 'java', dir: string, outdir: string): string {
  run(path.join(ROOT, 'node_modules', '.bin', 'jsii-pacmak'), [
    ...['--target', target, '--code-only', '--no-npmignore', '--rosetta-unknown-snippets=verbatim'],
    ...['--outdir', outdir, dir],
  ]);
  return path.join(outdir, target);
}

const manifest = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
const version = (dir: string): string => manifest(dir).version;

/** The directories of the jsii libraries a jsii library depends on (those it bundles are not jsii libraries). */
function jsiiDependencies(dir: string): string[] {
  const { dependencies = {}, peerDependencies = {}, bundleDependencies = [] } = manifest(dir);
  const installed = (name: string): string => {
    for (let from = dir; ; from = path.dirname(from)) {
      const candidate = path.join(from, 'node_modules', name);
      if (fs.existsSync(candidate)) return candidate;
      if (from === path.dirname(from)) throw new Error(`${name}, a dependency of ${dir}, is not installed`);
    }
  };
  return Object.keys({ ...dependencies, ...peerDependencies })
    .filter((name) => !bundleDependencies.includes(name))
    .map(installed)
    .filter((dependency) => manifest(dependency).jsii !== undefined);
}

function python(clock: Clock): { template: string; notes: string[] } {
  const dir = workDir('python');
  const notes: string[] = [];
  const venv = path.join(dir, 'venv');
  const bin = path.join(venv, 'bin');
  const env = { ...USER_ENV, VIRTUAL_ENV: venv, PATH: `${bin}${path.delimiter}${USER_ENV.PATH}` };
  const pip = (args: string[]) => run(path.join(bin, 'python'), ['-m', 'pip', ...args], { env });
  const wheel = fs.readdirSync(path.join(ROOT, 'dist', 'python')).find((f) => f.endsWith('.whl'));
  if (!wheel) throw new Error('dist/python has no wheel: run `npm run package` first');

  clock.step('install', () => {
    run('python3', ['-m', 'venv', venv]);
    // aws-cdk-lib and constructs at the lowest versions the wheel allows; pip chooses the rest (jsii among them).
    const pins = lowestPeers().map((peer) => `${peer.name}==${peer.version}`);
    const findLinks: string[] = [];
    for (const peer of lowestPeers()) {
      const served =
        pip(['index', 'versions', peer.name])
          .match(/Available versions: (.*)/)?.[1]
          .split(', ') ?? [];
      if (served.includes(peer.version)) continue;
      if (version(peer.dir) !== peer.version) {
        throw new Error(`PyPI has no ${peer.name} ${peer.version}, and node_modules has ${version(peer.dir)}`);
      }
      // Kept in languages.out/wheels for later runs, as pip keeps what PyPI served in its cache.
      const wheels = path.join(OUT, 'wheels');
      const built = `${peer.name.replace(/-/g, '_')}-${peer.version}-`;
      if (!fs.existsSync(wheels) || !fs.readdirSync(wheels).some((f) => f.startsWith(built))) {
        const generated = generate('python', peer.dir, path.join(dir, 'generated', peer.name));
        pip(['wheel', '--quiet', '--no-deps', '--wheel-dir', wheels, generated]);
        fs.rmSync(generated, { recursive: true, force: true });
      }
      findLinks.push('--find-links', wheels);
      notes.push(
        `${peer.name} ${peer.version} built by jsii-pacmak from its npm package (PyPI serves up to ${served[0]})`,
      );
    }
    pip(['install', '--quiet', ...findLinks, path.join(ROOT, 'dist', 'python', wheel), ...pins]);
    const installed = (name: string) =>
      run(path.join(bin, 'python'), ['-c', `import importlib.metadata as m; print(m.version("${name}"))`]).trim();
    notes.unshift(`with ${['aws-cdk-lib', 'constructs', 'jsii'].map((n) => `${n} ${installed(n)}`).join(', ')}`);
  });

  fs.copyFileSync(path.join(APPS, 'python', 'app.py'), path.join(dir, 'app.py'));
  fs.writeFileSync(path.join(dir, 'media_stack.py'), readmePythonUsageExample());
  const template = clock.step('synth', () => synth(dir, 'python3 app.py', env));
  // The README's boto3 consumer, on the record the handler writes: it must address the key's bucket at its own host.
  clock.step('boto3', () => {
    pip(['install', '--quiet', BOTO3]);
    const consumer = path.join(ROOT, 'test', 'consumer', 'boto3_consumer.py');
    notes.push(`the README's boto3 consumer: ${run(path.join(bin, 'python'), [consumer], { env }).trim()}`);
  });
  return { template, notes };
}

function java(clock: Clock): { template: string; notes: string[] } {
  const dir = workDir('java', path.join(APPS, 'java'));
  const notes: string[] = [];
  // Maven colours its output even in batch mode; the colour codes go.
  const mvn = (args: string[], cwd = dir) =>
    stripVTControlCharacters(run('mvn', ['--batch-mode', '--quiet', ...args], { cwd }));
  const skip = ['-Dmaven.javadoc.skip=true', '-Dmaven.source.skip=true'];

  /**
   * A jsii library's Maven artifact at its version in node_modules, with those of the jsii libraries it depends on:
   * in the local repository already, else from Maven Central, else built here with jsii-pacmak and installed into
   * the local repository (where later runs find it, as they find what Maven Central served).
   */
  const seen = new Set<string>();
  const ensureArtifact = (libDir: string, localRepository: string): void => {
    const { groupId, artifactId } = manifest(libDir).jsii.targets.java.maven;
    const coordinates = `${groupId}:${artifactId}:${version(libDir)}`;
    if (seen.has(coordinates)) return;
    seen.add(coordinates);
    for (const dependency of jsiiDependencies(libDir)) ensureArtifact(dependency, localRepository);
    const where = path.join(localRepository, ...groupId.split('.'), artifactId, version(libDir));
    const get = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:get';
    if (!fs.existsSync(where) || fs.readdirSync(where).every((f) => !f.endsWith('.jar'))) {
      if (
        !succeeds('mvn', [
          '--batch-mode',
          '--quiet',
          '-Dstyle.color=never',
          get,
          `-Dartifact=${coordinates}`,
          '-Dtransitive=false',
        ])
      ) {
        const generated = generate('java', libDir, path.join(dir, 'generated', artifactId));
        mvn(['install', ...skip], generated);
        fs.rmSync(generated, { recursive: true, force: true });
      }
    }
    // Maven records where each file came from: `<file>>central=` for Maven Central, `<file>>=` for an install.
    if (!fs.readFileSync(path.join(where, '_remote.repositories'), 'utf8').includes('.jar>central=')) {
      notes.push(`${coordinates} built by jsii-pacmak from its npm package (Maven Central does not serve it)`);
    }
  };

  clock.step('install', () => {
    const help = 'org.apache.maven.plugins:maven-help-plugin:3.5.2:evaluate';
    const localRepository = mvn([help, '-Dexpression=settings.localRepository', '-DforceStdout'], ROOT).trim();
    for (const peer of lowestPeers()) {
      if (version(peer.dir) !== peer.version) {
        throw new Error(`${peer.name}: node_modules has ${version(peer.dir)}, the package allows ${peer.version}`);
      }
      ensureArtifact(peer.dir, localRepository);
    }
    mvn(['install', ...skip], path.join(ROOT, 'dist', 'java'));
  });
  // The dependencies at the lowest versions dist/java's pom.xml allows (the app's pom.xml pins them).
  const pom = fs.readFileSync(path.join(ROOT, 'dist', 'java', 'pom.xml'), 'utf8');
  const lowest = (artifactId: string) =>
    pom.match(new RegExp(`<artifactId>${artifactId}</artifactId>\\s*<version>\\[([^,\\]]+)`))![1];
  const versions = {
    'aws-cdk-lib.version': lowest('aws-cdk-lib'),
    'constructs.version': lowest('constructs'),
    'jsii-runtime.version': lowest('jsii-runtime'),
    'package.version': pkg.version,
  };
  notes.unshift(
    `with ${Object.entries(versions)
      .map(([k, v]) => `${k.replace('.version', '')} ${v}`)
      .join(', ')}`,
  );
  const properties = Object.entries(versions).map(([k, v]) => `-D${k}=${v}`);
  clock.step('build', () =>
    mvn(['package', 'dependency:build-classpath', '-Dmdep.outputFile=classpath.txt', ...properties]),
  );
  const classpath = `target/classes${path.delimiter}${fs.readFileSync(path.join(dir, 'classpath.txt'), 'utf8').trim()}`;
  return { template: clock.step('synth', () => synth(dir, `java -cp ${classpath} MediaApp`)), notes };
}

function go(clock: Clock): { template: string; notes: string[] } {
  const dir = workDir('go', path.join(APPS, 'go'));
  const module = fs
    .readFileSync(path.join(ROOT, 'dist', 'go', 'cdklightsailbucketaccesskey', 'go.mod'), 'utf8')
    .match(/^module (\S+)/)![1];
  run('go', ['mod', 'edit', `-replace=${module}=${path.join(ROOT, 'dist', 'go', 'cdklightsailbucketaccesskey')}`], {
    cwd: dir,
  });
  clock.step('download', () => run('go', ['mod', 'download'], { cwd: dir }));
  clock.step('build', () => run('go', ['build', '-buildvcs=false', '-o', 'media-app', '.'], { cwd: dir }));
  const modules = run('go', ['list', '-m', '-f', '{{.Path}} {{.Version}}', 'all'], { cwd: dir });
  const pick = (m: string) => modules.match(new RegExp(`^${m.replace(/\./g, '\\.')} (\\S+)`, 'm'))?.[1];
  const notes = [
    `with awscdk ${pick('github.com/aws/aws-cdk-go/awscdk/v2')}, constructs ${pick('github.com/aws/constructs-go/constructs/v10')}, jsii-runtime-go ${pick('github.com/aws/jsii-runtime-go')}`,
  ];
  return { template: clock.step('synth', () => synth(dir, './media-app')), notes };
}

const LANGUAGES = { python, java, go };

function main() {
  const chosen = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(LANGUAGES);
  if (!fs.existsSync(path.join(ROOT, 'dist', 'python')))
    throw new Error('dist/ is missing: run `npm run package` first');
  fs.mkdirSync(OUT, { recursive: true });

  const reference = new Clock();
  const typescript = reference.step('synth', () => {
    // As `npx cdk synth` synthesizes the example app in this repository.
    const args = ['synth', '--quiet', '--output', path.join(OUT, 'typescript', 'cdk.out')];
    run(path.join(ROOT, 'node_modules', '.bin', 'cdk'), args, { env: process.env });
    return path.join(OUT, 'typescript', 'cdk.out', `${STACK}.template.json`);
  });
  const read = (file: string): Template => JSON.parse(fs.readFileSync(file, 'utf8'));
  const outcomes: Outcome[] = [
    {
      language: 'typescript',
      template: typescript,
      ok: true,
      line: `the example app synthesized in ${reference.total}; the apps below run on the machine's Node.js ${run('node', ['--version']).trim()}`,
    },
  ];

  for (const language of chosen) {
    const clock = new Clock();
    const build = LANGUAGES[language as keyof typeof LANGUAGES];
    if (!build) throw new Error(`unknown language ${language}: choose from ${Object.keys(LANGUAGES).join(', ')}`);
    process.stderr.write(`test:languages: ${language}...\n`);
    try {
      const { template, notes } = build(clock);
      const comparison = compareTemplates(read(typescript), read(template), EXPLAINED[language]);
      const ok = comparison.unexplained.length === 0 && comparison.unused.length === 0;
      const line = `synthesized in ${clock.total} (${clock.steps.join(', ')}; ${notes.join('; ')}); ${summarise(comparison)}`;
      outcomes.push({ language, template, ok, line });
    } catch (error) {
      const [first, ...rest] = (error as Error).message.split('\n');
      process.stderr.write(`${language}: ${first}\n${rest.join('\n')}\n`);
      outcomes.push({ language, ok: false, line: `FAILED after ${clock.total}: ${first}` });
    }
  }

  outcomes.push(cfnLint(outcomes.flatMap((o) => (o.template ? [o.template] : []))));
  outcomes.push({
    language: 'dotnet',
    ok: true,
    line: 'generated and checked by `npm run package`, not compiled here (no NuGet registry is reachable)',
  });
  for (const { language, line } of outcomes) console.log(`${language}: ${line}`);
  const failed = outcomes.filter((o) => !o.ok).map((o) => o.language);
  if (failed.length > 0) {
    console.error(`test:languages failed: ${failed.join(', ')}`);
    process.exit(1);
  }
}

/** cfn-lint on every template, with the rules cfn-lint.yaml turns off (each with its reason). */
function cfnLint(templates: string[]): Outcome {
  const clock = new Clock();
  const integ = path.join(ROOT, 'test', 'integ.bucket-access-key.ts.snapshot');
  const all = [
    ...templates,
    ...fs
      .readdirSync(integ)
      .filter((f) => f.endsWith('.template.json'))
      .map((f) => path.join(integ, f)),
  ];
  try {
    const venv = path.join(OUT, 'cfn-lint');
    clock.step('install', () => {
      if (!fs.existsSync(path.join(venv, 'bin', 'cfn-lint'))) run('python3', ['-m', 'venv', venv]);
      run(path.join(venv, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', CFN_LINT]);
    });
    clock.step('lint', () =>
      run(path.join(venv, 'bin', 'cfn-lint'), ['--config-file', path.join(APPS, 'cfn-lint.yaml'), '--', ...all]),
    );
    return {
      language: 'cfn-lint',
      ok: true,
      line: `${CFN_LINT.split('==')[1]}: ${all.length} templates, no findings (${clock.steps.join(', ')})`,
    };
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return { language: 'cfn-lint', ok: false, line: `FAILED: findings in ${all.length} templates (above)` };
  }
}

main();
