import { Pool } from 'pg';

/** A pg Pool whose idle connections may be dropped (server restart, terminated backend) without crashing the bench. */
export function benchPool(connectionString: string, max: number): Pool {
  const pool = new Pool({ connectionString, max });
  pool.on('error', (error) =>
    console.warn(`[bench] idle PostgreSQL connection lost: ${error.message}`),
  );
  return pool;
}
