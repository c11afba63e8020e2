/**
 * How CloudFormation orders work on a stack's resources: it starts each one as soon as every resource it depends
 * on is complete (so independent resources run in parallel, in no guaranteed order), and deletes in the reverse
 * order (a resource goes once nothing that depends on it is left). At the first failure it starts nothing new.
 */

export interface DependencyRun {
  /** The first failure, if any. */
  readonly failure?: unknown;
  /** Work still running when the run stopped at a failure: the caller decides whether to wait for it or cancel it. */
  readonly running: ReadonlyMap<string, Promise<void>>;
}

/**
 * Runs `work(id)` for every id once `work` has succeeded for each of its `dependencies` (ids outside `ids` are
 * taken as complete). `onProgress` sees the ids running after every start and finish, for work that waits on the
 * others (see the simulator's tripwire). Resolves when everything is done, or at the first failure.
 */
export function runInDependencyOrder(
  ids: readonly string[],
  dependencies: (id: string) => Iterable<string>,
  work: (id: string) => Promise<void>,
  onProgress?: (running: ReadonlySet<string>) => void,
): Promise<DependencyRun> {
  const known = new Set(ids);
  const done = new Set<string>();
  const running = new Map<string, Promise<void>>();
  let failure: { error: unknown } | undefined;

  return new Promise((resolve, reject) => {
    const pump = (): void => {
      if (!failure) {
        for (const id of ids) {
          if (done.has(id) || running.has(id)) continue;
          if (![...dependencies(id)].every((d) => done.has(d) || !known.has(d))) continue;
          const finish = (error?: { error: unknown }) => {
            running.delete(id);
            if (error) failure ??= error;
            else done.add(id);
            pump();
          };
          running.set(
            id,
            work(id).then(
              () => finish(),
              (error: unknown) => finish({ error }),
            ),
          );
        }
      }
      if (failure) return resolve({ failure: failure.error, running: new Map(running) });
      if (running.size === 0) {
        if (done.size === known.size) return resolve({ running });
        return reject(new Error(`dependency cycle among ${ids.filter((id) => !done.has(id)).join(', ')}`));
      }
      onProgress?.(new Set(running.keys()));
    };
    pump();
  });
}

/** The reverse relation, for deletion: what depends on each id. */
export function dependents(ids: readonly string[], dependencies: (id: string) => Iterable<string>) {
  const of = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const id of ids) for (const d of dependencies(id)) of.get(d)?.push(id);
  return (id: string): string[] => of.get(id) ?? [];
}
