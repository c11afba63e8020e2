/**
 * Just enough of IAM's policy evaluation to decide whether a handler's role may use a KMS key through Secrets
 * Manager: Allow statements (an explicit Deny is not modelled: the templates have none), actions and resources with
 * `*` wildcards, and the condition operators the templates use on KMS statements. Any other condition is taken as
 * unmet, so the simulator never grants more than the policy does.
 * Source: IAM User Guide, "Policy evaluation logic" and "IAM JSON policy elements: Condition operators".
 */

export interface PolicyStatement {
  readonly Effect?: string;
  readonly Action?: string | string[];
  readonly Resource?: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

/** The request context the conditions are evaluated against (condition keys to values). */
export type RequestContext = Record<string, string>;

export function allows(
  statements: readonly PolicyStatement[],
  action: string,
  resource: string,
  context: RequestContext,
): boolean {
  return statements.some(
    (s) =>
      s.Effect === 'Allow' &&
      list(s.Action).some((a) => matches(a, action, true)) &&
      list(s.Resource).some((r) => matches(r, resource, false)) &&
      conditionsHold(s.Condition ?? {}, context),
  );
}

function conditionsHold(conditions: NonNullable<PolicyStatement['Condition']>, context: RequestContext): boolean {
  return Object.entries(conditions).every(([operator, keys]) =>
    Object.entries(keys).every(([key, values]) => {
      const actual = context[key];
      if (actual === undefined) return false;
      switch (operator) {
        case 'StringEquals':
          return list(values).includes(actual);
        case 'StringLike':
          return list(values).some((pattern) => matches(pattern, actual, false));
        default:
          return false;
      }
    }),
  );
}

/** `*` matches any run of characters, `?` one character; actions compare without regard to case. */
function matches(pattern: string, value: string, ignoreCase: boolean): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, ignoreCase ? 'i' : '').test(value);
}

function list(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : [value].flat();
}
