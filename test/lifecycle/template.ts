/**
 * Reading a synthesized CloudFormation template the way CloudFormation does: which resources depend on which, and
 * the values of intrinsic functions once the resources they name exist.
 */

export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

export interface Template {
  readonly Resources: Record<string, TemplateResource>;
  readonly Parameters?: Record<string, { Default?: unknown }>;
}

/** What a deployed resource offers to intrinsic functions. */
export interface ResolvedResource {
  readonly physicalId: string;
  readonly attributes: Record<string, string>;
}

export interface StackContext {
  readonly stackName: string;
  readonly stackId: string;
  readonly region: string;
  readonly accountId: string;
}

/** The logical ids a resource depends on: Ref, Fn::GetAtt, Fn::Sub references and DependsOn. */
export function dependenciesOf(template: Template, logicalId: string): Set<string> {
  const resource = template.Resources[logicalId];
  const found = new Set<string>([resource.DependsOn ?? []].flat());
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (value === null || typeof value !== 'object') return;
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'Ref' && typeof inner === 'string') found.add(inner);
      else if (key === 'Fn::GetAtt')
        found.add((Array.isArray(inner) ? inner[0] : String(inner).split('.')[0]) as string);
      else if (key === 'Fn::Sub') {
        const text = Array.isArray(inner) ? inner[0] : inner;
        for (const m of String(text).matchAll(/\$\{([^}.!]+)/g)) found.add(m[1]);
      }
      visit(inner);
    }
  };
  visit(resource.Properties);
  for (const id of [...found]) if (!(id in template.Resources)) found.delete(id);
  return found;
}

/** Evaluates intrinsic functions. Custom resource properties reach the handler as strings, as CloudFormation sends them. */
export function resolveValue(
  value: unknown,
  resources: ReadonlyMap<string, ResolvedResource>,
  stack: StackContext,
  template: Template,
): unknown {
  const resolve = (v: unknown): unknown => resolveValue(v, resources, stack, template);
  if (Array.isArray(value)) return value.map(resolve);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  if (entries.length === 1) {
    const [fn, arg] = entries[0];
    switch (fn) {
      case 'Ref':
        return ref(String(arg), resources, stack, template);
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(arg) ? arg : String(arg).split('.');
        const resource = resources.get(id);
        if (!resource) throw new Error(`Fn::GetAtt of ${id}, which does not exist (yet)`);
        if (!(attribute in resource.attributes)) throw new Error(`${id} has no attribute ${attribute}`);
        return resource.attributes[attribute];
      }
      case 'Fn::Join': {
        const [separator, parts] = arg as [string, unknown[]];
        return (resolve(parts) as unknown[]).join(separator);
      }
      case 'Fn::Select': {
        const [index, list] = arg as [number, unknown];
        return (resolve(list) as unknown[])[Number(index)];
      }
      case 'Fn::Split': {
        const [separator, text] = arg as [string, unknown];
        return String(resolve(text)).split(separator);
      }
      case 'Fn::Sub': {
        const [text, variables] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [String(arg), {}];
        return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
          if (name in variables) return String(resolve(variables[name]));
          if (name.includes('.')) return String(resolve({ 'Fn::GetAtt': name.split('.') }));
          return String(ref(name, resources, stack, template));
        });
      }
    }
    if (fn.startsWith('Fn::')) throw new Error(`the simulator does not evaluate ${fn}`);
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, resolve(v)]));
}

function ref(
  name: string,
  resources: ReadonlyMap<string, ResolvedResource>,
  stack: StackContext,
  template: Template,
): unknown {
  switch (name) {
    case 'AWS::Region':
      return stack.region;
    case 'AWS::AccountId':
      return stack.accountId;
    case 'AWS::Partition':
      return 'aws';
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    case 'AWS::StackName':
      return stack.stackName;
    case 'AWS::StackId':
      return stack.stackId;
  }
  if (template.Parameters && name in template.Parameters) return template.Parameters[name].Default;
  const resource = resources.get(name);
  if (!resource) throw new Error(`Ref to ${name}, which does not exist (yet)`);
  return resource.physicalId;
}

/** Custom resources receive every scalar property as a string. */
export function stringifyScalars(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stringifyScalars);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stringifyScalars(v)]));
  }
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
}
