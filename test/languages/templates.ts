/**
 * The example stack's template from an app in another language, compared with the TypeScript example's: the same
 * resources, properties, outputs and asset hashes. Only what says which app made the template is left out first
 * (the construct paths in each resource's metadata, and the CDK metadata resource of version reporting, which names
 * the language). Every other difference is listed; a language may explain one of its own, by its path, with a
 * check that the difference is the one explained and no other.
 */

export type Template = Record<string, any>;

/** One value that differs, at a path such as `Resources.MediaKey123.Properties.SecretId`. */
export interface Difference {
  path: string;
  typescript: unknown;
  other: unknown;
}

/** A difference a language is known to make, and why; `isThisOne` checks that the difference is only that. */
export interface ExplainedDifference {
  path: RegExp;
  reason: string;
  isThisOne(typescript: unknown, other: unknown): boolean;
}

export interface Comparison {
  /** Differences no explanation covers: each fails the comparison. */
  unexplained: Difference[];
  explained: Array<Difference & { reason: string }>;
  /** Explanations of differences that did not occur: stale, so they fail the comparison too. */
  unused: ExplainedDifference[];
}

/**
 * The differences each language's app is known to make: none today. (jsii-rosetta once indented a multi-line string
 * literal to the depth of the Python code around it; an explanation names such a difference by its path and checks
 * that it is only that.)
 */
export const EXPLAINED: Record<string, ExplainedDifference[]> = { python: [], java: [], go: [] };

/** The template without what names the app that made it: construct paths and version reporting. */
export function normalise(template: Template): Template {
  const copy: Template = structuredClone(template);
  delete copy.Resources?.CDKMetadata;
  delete copy.Conditions?.CDKMetadataAvailable;
  if (copy.Conditions && Object.keys(copy.Conditions).length === 0) delete copy.Conditions;
  for (const resource of Object.values<any>(copy.Resources ?? {})) {
    if (!resource.Metadata) continue;
    delete resource.Metadata['aws:cdk:path'];
    if (Object.keys(resource.Metadata).length === 0) delete resource.Metadata;
  }
  return copy;
}

/** Every leaf value that differs between two JSON values, by path. */
export function differences(typescript: unknown, other: unknown, path = ''): Difference[] {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  if (isObject(typescript) && isObject(other) && Array.isArray(typescript) === Array.isArray(other)) {
    const keys = [...new Set([...Object.keys(typescript), ...Object.keys(other)])];
    return keys.flatMap((key) => differences(typescript[key], other[key], path ? `${path}.${key}` : key));
  }
  return JSON.stringify(typescript) === JSON.stringify(other) ? [] : [{ path, typescript, other }];
}

/** Compares another language's template with the TypeScript example's, after `normalise`. */
export function compareTemplates(
  typescript: Template,
  other: Template,
  explanations: ExplainedDifference[] = [],
): Comparison {
  const result: Comparison = { unexplained: [], explained: [], unused: [] };
  const used = new Set<ExplainedDifference>();
  for (const difference of differences(normalise(typescript), normalise(other))) {
    const explanation = explanations.find(
      (e) => e.path.test(difference.path) && e.isThisOne(difference.typescript, difference.other),
    );
    if (explanation) {
      used.add(explanation);
      result.explained.push({ ...difference, reason: explanation.reason });
    } else {
      result.unexplained.push(difference);
    }
  }
  result.unused = explanations.filter((e) => !used.has(e));
  return result;
}

/** One line: equal, or what differs. */
export function summarise(comparison: Comparison): string {
  const { unexplained, explained, unused } = comparison;
  const show = (v: unknown) => {
    const text = JSON.stringify(v) ?? 'absent';
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
  };
  const parts = [
    ...unexplained.map((d) => `${d.path} differs: TypeScript ${show(d.typescript)}, this app ${show(d.other)}`),
    ...unused.map((e) => `the explained difference at ${e.path} did not occur: remove its explanation`),
  ];
  if (parts.length > 0) return `template DIFFERS from TypeScript's: ${parts.join('; ')}`;
  if (explained.length === 0) return "template equal to TypeScript's";
  return `template equal to TypeScript's but for ${explained.length} explained difference(s): ${explained
    .map((d) => `${d.path}: ${d.reason}`)
    .join('; ')}`;
}
