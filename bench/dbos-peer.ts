// The peer: the same three-step workflow in DBOS Transact on the same PostgreSQL. DBOS runs its
// steps in-process; each step does the small write a participant with a database would do.
import { randomUUID } from 'node:crypto';
import { DBOS } from '@dbos-inc/dbos-sdk';
import { benchPool } from './pg-pool';
import { childMain, type ChildSettings } from './child';
import { BENCH_PARTICIPANTS } from './workflow';

async function setUp(settings: ChildSettings) {
  const effects = benchPool(settings.databaseUrl, settings.poolSize);
  await effects.query(
    'CREATE TABLE IF NOT EXISTS bench_effect (id bigserial PRIMARY KEY, workflow_id text NOT NULL, step text NOT NULL)',
  );
  let ended = 0;

  const threeSteps = DBOS.registerWorkflow(
    async (workflowId: string) => {
      for (const step of BENCH_PARTICIPANTS) {
        await DBOS.runStep(
          async () => {
            await effects.query('INSERT INTO bench_effect (workflow_id, step) VALUES ($1, $2)', [
              workflowId,
              step,
            ]);
          },
          { name: step },
        );
      }
    },
    { name: 'bench-three-steps' },
  );

  DBOS.setConfig({
    name: 'skald-bench',
    applicationVersion: '0.1.0',
    systemDatabaseUrl: settings.databaseUrl,
    systemDatabasePoolSize: settings.poolSize,
    runAdminServer: false,
    logLevel: 'error',
  });
  await DBOS.launch();

  return {
    run: async () => {
      const id = randomUUID();
      await DBOS.withNextWorkflowID(id, () => threeSteps(id));
      ended++;
      return Date.now();
    },
    ended: () => ended,
    tearDown: async () => {
      await DBOS.shutdown();
      await effects.end();
    },
  };
}

void childMain('dbos', setUp);
