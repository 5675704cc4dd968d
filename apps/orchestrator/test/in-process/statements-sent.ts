import { Client } from 'pg';

/**
 * The statements sent to PostgreSQL while `work` runs, by transaction, in the order they began.
 * Counted where they leave, at pg's Client: TypeORM's queries and the engine's prepared statements
 * both go through it. A statement outside BEGIN … COMMIT counts as a transaction of its own.
 */
export async function transactionsDuring(work: () => Promise<unknown>): Promise<string[][]> {
  return (await sentDuring(work)).transactions;
}

/** As transactionsDuring, and the names of the prepared statements sent (in order). */
export async function sentDuring(
  work: () => Promise<unknown>,
): Promise<{ transactions: string[][]; prepared: string[] }> {
  const transactions: string[][] = [];
  const prepared: string[] = [];
  const open = new Map<Client, string[]>();
  const query = Client.prototype.query;
  Client.prototype.query = function (
    this: Client,
    config: string | { text: string; name?: string },
    ...rest: unknown[]
  ) {
    const sql = (typeof config === 'string' ? config : config.text).trim();
    if (typeof config !== 'string' && config.name) prepared.push(config.name);
    let statements = open.get(this);
    if (!statements || sql === 'START TRANSACTION') {
      statements = [];
      transactions.push(statements);
      if (sql === 'START TRANSACTION') open.set(this, statements);
    }
    statements.push(sql);
    if (sql === 'COMMIT' || sql === 'ROLLBACK') open.delete(this);
    return (query as (...args: unknown[]) => unknown).call(this, config, ...rest);
  } as typeof query;
  try {
    await work();
  } finally {
    Client.prototype.query = query;
  }
  return { transactions, prepared };
}
