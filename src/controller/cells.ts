// The parts of an instance that can be planned on their own ("cells"), so
// that a pass can go a part at a time and take a changed policy's part
// first (docs/adr/0012). Policies interact only through the collections they
// share, which live in one database, and through budgets, which span the
// instance. So an instance with no budget is one cell per database; an
// instance with a budget is one cell.
import type { CollectionLoadBudget } from '../api/budget.ts';
import type { CollectionLoadPolicy } from '../api/policy.ts';

/** A cell's name within its instance: a database name, or WHOLE_INSTANCE. */
export type CellKey = string;

/** The one cell of an instance that has a budget. Not a database name: those are letters, digits and `_`. */
export const WHOLE_INSTANCE: CellKey = '(whole instance)';

export interface Cell {
  readonly key: CellKey;
  readonly policies: readonly CollectionLoadPolicy[];
  readonly budgets: readonly CollectionLoadBudget[];
}

/** The database a policy reads, as the pass resolves it (a malformed policy included). */
export function databaseOf(policy: Pick<CollectionLoadPolicy, 'spec'> | undefined): string {
  return policy?.spec?.milvus?.database ?? 'default';
}

/** The cell that plans a policy of this database, given whether the instance has a budget. */
export function cellOfDatabase(database: string, budgeted: boolean): CellKey {
  return budgeted ? WHOLE_INSTANCE : database;
}

/** An instance's policies and budgets split into cells, in database order. */
export function cellsOf(policies: readonly CollectionLoadPolicy[], budgets: readonly CollectionLoadBudget[]): Cell[] {
  if (budgets.length > 0) return [{ key: WHOLE_INSTANCE, policies, budgets }];
  const byDatabase = new Map<CellKey, CollectionLoadPolicy[]>();
  for (const p of policies) {
    const key = databaseOf(p);
    const list = byDatabase.get(key);
    if (list) list.push(p);
    else byDatabase.set(key, [p]);
  }
  return [...byDatabase.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, list]) => ({ key, policies: list, budgets: [] }));
}

/** What a running pass is told of the databases events touched meanwhile (reconcile.ts PassRequest). */
export interface TouchedDatabases {
  /** Takes the databases touched since the last call. */
  readonly touched?: () => ReadonlySet<string>;
  /** Gives one back: the next pass does it. */
  readonly retouch?: (database: string) => void;
}

/** A cell runs at most this often in one pass: once in its turn, once more when touched after it. */
const MAX_CELL_RUNS_PER_PASS = 2;

/**
 * The cells of a pass, one at a time: the ones events touched meanwhile
 * first (read afresh from the caches by `current`), then the rest. A cell touched again
 * after its second run is left for the next pass (the queue runs the
 * instance again), so a policy edited without pause cannot hold a pass open.
 * An instance with a budget is one cell: what touches it is left for the
 * next pass.
 */
export function cellSource(initial: readonly Cell[], budgeted: boolean, req: TouchedDatabases, current: () => readonly Cell[]): () => Cell | undefined {
  const rest = [...initial];
  const urgent: CellKey[] = [];
  const runs = new Map<CellKey, number>();
  const takeTouched = (): void => {
    if (!req.touched || budgeted) return;
    for (const db of req.touched()) {
      if ((runs.get(db) ?? 0) >= MAX_CELL_RUNS_PER_PASS) req.retouch?.(db);
      else if (!urgent.includes(db)) urgent.push(db);
    }
  };
  const fresh = (key: CellKey): Cell | undefined => {
    const at = rest.findIndex((c) => c.key === key);
    if (at >= 0) rest.splice(at, 1);
    return current().find((c) => c.key === key);
  };
  return () => {
    takeTouched();
    let cell: Cell | undefined;
    for (let key = urgent.shift(); key !== undefined && !cell; key = urgent.shift()) cell = fresh(key);
    cell ??= rest.shift();
    if (cell) runs.set(cell.key, (runs.get(cell.key) ?? 0) + 1);
    return cell;
  };
}
