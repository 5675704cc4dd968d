import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { runMigrations } from '@skald/persistence';
import { repoRoot } from './paths';

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

function adminUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url)
    throw new Error(
      'DATABASE_URL is not set: run tests through `npm test`, which starts the stack',
    );
  return url;
}

function urlOf(name: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

async function asAdmin(sql: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function testDatabase(name: string): TestDatabase {
  return {
    name,
    url: urlOf(name),
    drop: () => asAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

const newName = () => `skald_test_${randomBytes(6).toString('hex')}`;

/**
 * A fresh, empty database on the test server (optionally migrated), so no test sees another's rows.
 * Drop it in `after()`.
 */
export async function createTestDatabase(
  options: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  const database = testDatabase(newName());
  await asAdmin(`CREATE DATABASE ${database.name}`);
  if (options.migrate) await runMigrations({ url: database.url });
  return database;
}

/** PostgreSQL's object_in_use: a session is still connected to the database to copy or rename. */
const OBJECT_IN_USE = '55006';
/** Arbitrary constant naming the template build among the admin database's advisory locks. */
const TEMPLATE_LOCK_ID = 0x5c41e;

/** Runs `statement` again while it fails because a closing session still holds its database. */
async function whenNotInUse(statement: () => Promise<unknown>, attempts = 50): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await statement();
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== OBJECT_IN_USE || attempt === attempts) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Named after the migrations' sources: a changed or added migration gets a template of its own. */
function templateName(): string {
  const dir = join(repoRoot, 'migrations');
  const hash = createHash('sha256');
  for (const file of readdirSync(dir).sort())
    hash.update(file).update(readFileSync(join(dir, file)));
  return `skald_template_${hash.digest('hex').slice(0, 16)}`;
}

/**
 * Creates the migrated template database unless it exists. Test processes run side by side: one
 * builds it under an advisory lock while the others wait, then find it. It gets its final name
 * only once migrated, and accepts no connections, so cloning it never finds it in use.
 */
async function buildTemplate(): Promise<string> {
  const name = templateName();
  const client = new Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK_ID]);
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      const building = `${name}_building`;
      await client.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
      await client.query(`CREATE DATABASE ${building}`);
      await runMigrations({ url: urlOf(building) });
      await whenNotInUse(() => client.query(`ALTER DATABASE ${building} RENAME TO ${name}`));
      await client.query(`ALTER DATABASE ${name} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
    }
  } finally {
    await client.end(); // ending the session releases the advisory lock
  }
  return name;
}

let template: Promise<string> | undefined;

/**
 * A fresh database with every migration applied, cloned from a template (`CREATE DATABASE …
 * TEMPLATE`, much faster than migrating). The template is built once per set of migrations and
 * kept on the test server for the next test, file and run.
 */
export async function cloneMigratedDatabase(): Promise<TestDatabase> {
  template ??= buildTemplate().catch((error: unknown) => {
    template = undefined;
    throw error;
  });
  const from = await template;
  const database = testDatabase(newName());
  await whenNotInUse(() => asAdmin(`CREATE DATABASE ${database.name} TEMPLATE ${from}`));
  return database;
}

/**
 * Runs `body` on a fresh migrated database (cloneMigratedDatabase). Dropped when `body` succeeds;
 * kept when it throws, with its URL printed, so the rows a failed test left can be inspected.
 */
export async function withClonedDatabase<T>(body: (db: TestDatabase) => Promise<T>): Promise<T> {
  const db = await cloneMigratedDatabase();
  let result: T;
  try {
    result = await body(db);
  } catch (error) {
    process.stderr.write(`the failed test's database is kept for inspection: psql '${db.url}'\n`);
    throw error;
  }
  await db.drop();
  return result;
}

/** A name no other test uses, for topics and consumer groups. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}
