/**
 * Runs a TypeScript snippet of the README (or of a document in docs/) in the stack of rosetta/default.ts-fixture (the code jsii-rosetta compiles
 * it in): `this` is the stack, `bucket` a Lightsail bucket, `taskRole` a role. Its imports are resolved here (the
 * package's own name to lib/), so the snippet runs exactly as the README shows it.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lightsail from 'aws-cdk-lib/aws-lightsail';
import * as ts from 'typescript';
import { PACKAGE_NAME, readmeBlock } from './readme-example';

const lib = path.join(__dirname, '..', '..', 'lib');
const requireFrom = createRequire(__filename);

export interface SnippetStack {
  readonly app: App;
  readonly stack: Stack;
}

export function runReadmeSnippet(
  marker: string,
  stackProps?: { env?: { account: string; region: string } },
  file = 'README.md',
): SnippetStack {
  const source = readmeBlock(marker, 'ts', file);
  const bindings: Record<string, unknown> = {};
  const load = (module: string): any => requireFrom(module === PACKAGE_NAME ? lib : module);
  for (const [, name, module] of source.matchAll(/^import \* as (\w+) from '([^']+)';$/gm))
    bindings[name] = load(module);
  for (const [, names, module] of source.matchAll(/^import \{([^}]+)\} from '([^']+)';$/gm)) {
    for (const name of names.split(',').map((n) => n.trim())) bindings[name] = load(module)[name];
  }
  // What the fixture imports.
  bindings.BucketAccessKey ??= load(lib).BucketAccessKey;
  bindings.iam ??= iam;
  bindings.lightsail ??= lightsail;

  const app = new App();
  const stack = new Stack(app, 'Snippet', stackProps);
  const bucket = new lightsail.CfnBucket(stack, 'Bucket', { bucketName: 'media-assets', bundleId: 'small_1_0' });
  const taskRole = new iam.Role(stack, 'TaskRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
  const body = ts.transpileModule(source.replace(/^import .*;$/gm, ''), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const names = Object.keys(bindings);
  new Function(...names, 'bucket', 'taskRole', body).call(stack, ...names.map((n) => bindings[n]), bucket, taskRole);
  return { app, stack };
}
