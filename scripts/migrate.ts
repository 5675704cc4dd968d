// `npm run migration:run`: applies pending migrations to DATABASE_URL.
import { describeDatabaseUrl, runMigrations } from '@skald/persistence';

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url)
    throw new Error('DATABASE_URL is required, e.g. postgres://user:pass@localhost:5432/skald');
  const applied = await runMigrations({ url });
  console.log(
    applied.length
      ? `Applied to ${describeDatabaseUrl(url)}: ${applied.join(', ')}`
      : `${describeDatabaseUrl(url)} is up to date`,
  );
}

main().catch((error: unknown) => {
  console.error(`migration:run failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
