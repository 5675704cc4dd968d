// Many writes in ONE statement: each queued write becomes a data-modifying CTE of
// `WITH w1 AS (…), w2 AS (…) SELECT …`, its `$1..$n` renumbered, and one final SELECT returns
// what callers asked for (RETURNING rows as JSON, NOTIFY calls). One round trip, one parse and
// plan, however many tables a transaction writes.
// ⚠ One statement, one snapshot: a CTE does not see the rows another CTE inserts, updates or
// deletes (only what it RETURNs, by name), and a row must not be modified by two CTEs (PostgreSQL
// keeps only one of the changes, unpredictably). Callers merge such writes before they queue them.
// Foreign keys are checked at the end of the statement, so child rows may reference a row an
// earlier CTE inserts.
import type { RunStatement } from './statements';

interface Output {
  sql: string;
  take: (value: unknown) => void;
}

export class WriteStatement {
  private readonly ctes: string[] = [];
  private readonly outputs: Output[] = [];
  private readonly parameters: unknown[] = [];

  /** What the statement runs inside, when a part of it asks (OutboxInserts' lease). */
  around: (<T>(run: () => Promise<T>) => Promise<T>) | undefined;

  get isEmpty(): boolean {
    return this.ctes.length === 0 && this.outputs.length === 0;
  }

  /**
   * Queues a data-modifying statement whose own parameters are `$1..$n`; returns its CTE name,
   * by which later CTEs may read what it RETURNs. `onRows` gets those rows (parsed from JSON:
   * timestamps as ISO strings, so return epoch ms) once the statement has run.
   */
  add(sql: string, parameters: unknown[], onRows?: (rows: unknown[]) => void): string {
    const name = `w${this.ctes.length + 1}`;
    this.ctes.push(`${name} AS (${this.renumber(sql, parameters)})`);
    if (onRows) {
      this.outputs.push({
        sql: `SELECT coalesce(json_agg(r), '[]'::json) FROM ${name} r`,
        take: (value) => onRows(value as unknown[]),
      });
    }
    return name;
  }

  /** Adds a scalar subquery to the final SELECT (e.g. a pg_notify call); `take` gets its value. */
  select(sql: string, parameters: unknown[], take: (value: unknown) => void = () => {}): void {
    this.outputs.push({ sql: this.renumber(sql, parameters), take });
  }

  /** Runs the statement (nothing when nothing was queued) and hands each caller its output. */
  async run(run: RunStatement): Promise<void> {
    if (this.isEmpty) return;
    const columns = this.outputs.map((o, i) => `(${o.sql}) AS o${i}`);
    const sql = `${this.ctes.length > 0 ? `WITH ${this.ctes.join(',\n')}\n` : ''}SELECT ${columns.join(', ') || '1'}`;
    const execute = () => run<Record<string, unknown>>(sql, this.parameters);
    const rows = await (this.around ? this.around(execute) : execute());
    this.outputs.forEach((output, i) => output.take(rows[0][`o${i}`]));
  }

  private renumber(sql: string, parameters: unknown[]): string {
    const offset = this.parameters.length;
    this.parameters.push(...parameters);
    return sql.replace(/\$(\d+)/g, (_, n: string) => {
      if (Number(n) < 1 || Number(n) > parameters.length) {
        throw new RangeError(`$${n} of a queued write has no parameter: ${sql}`);
      }
      return `$${offset + Number(n)}`;
    });
  }
}

/** What a queued write returns: readable once its statement has run. */
export class Later<T> {
  private value: { of: T } | undefined;

  set(value: T): void {
    this.value = { of: value };
  }

  get(): T {
    if (!this.value) throw new Error('a queued write was read before its statement ran');
    return this.value.of;
  }
}

/**
 * A transaction's queued writes. The rule that makes one statement safe: every read of the
 * engine's transactions goes through `read`, which first runs what is queued, so a read always
 * sees the transaction's own writes; the store runs the rest before COMMIT.
 */
export class QueuedWrites {
  private statement = new WriteStatement();
  private readonly mergers: ((statement: WriteStatement) => void)[] = [];
  /** The new sagas this statement inserts: its CTE, and the ids it was asked to insert. */
  private newSagas: { cte: string; ids: string[] } | undefined;

  constructor(private readonly run: RunStatement) {}

  /** Queues a write in the next statement (see WriteStatement.add). */
  add(sql: string, parameters: unknown[], onRows?: (rows: unknown[]) => void): string {
    return this.statement.add(sql, parameters, onRows);
  }

  select(sql: string, parameters: unknown[], take?: (value: unknown) => void): void {
    this.statement.select(sql, parameters, take);
  }

  /**
   * Calls `merge` before each statement runs, to queue the writes collected across calls as one
   * CTE (a row must not be changed by two CTEs, and one INSERT keeps the order of its rows).
   */
  beforeRun(merge: (statement: WriteStatement) => void): void {
    this.mergers.push(merge);
  }

  /** Remembers the CTE that inserts these new sagas, for `ofWrittenSagas`. */
  insertsSagas(cte: string, ids: string[]): void {
    if (this.newSagas) throw new Error('new sagas are inserted once per statement');
    this.newSagas = { cte, ids };
  }

  /**
   * A condition on a child row's saga id (pushing its parameter onto `parameters`): false for a
   * new saga of this statement that was not inserted (another saga holds its idempotency key).
   */
  ofWrittenSagas(column: string, parameters: unknown[]): string {
    if (!this.newSagas) return 'true';
    parameters.push(this.newSagas.ids);
    const ids = `$${parameters.length}::uuid[]`;
    return `(${column} <> ALL(${ids}) OR ${column} IN (SELECT id FROM ${this.newSagas.cte}))`;
  }

  /** Runs the queued writes as one statement (none when nothing is queued). */
  async flush(): Promise<void> {
    const statement = this.statement;
    for (const merge of this.mergers) merge(statement);
    this.statement = new WriteStatement();
    this.newSagas = undefined;
    await statement.run(this.run);
  }

  /** A read that sees every write queued before it. */
  async read<T>(sql: string, parameters: unknown[] = []): Promise<T[]> {
    await this.flush();
    return this.run<T>(sql, parameters);
  }
}
