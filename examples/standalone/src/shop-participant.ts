// The participant: one service with its own PostgreSQL, answering the saga's three commands.
// Run it with DATABASE_URL and KAFKA_BROKERS (and SKALD_TOPIC_PREFIX if the orchestrator has one).
import { Pool } from 'pg';
import { BusinessRefusal, createParticipant } from '@skald/participant';

/** Charges above this are declined, so the saga compensates. */
const CARD_LIMIT = 1_000;

async function main(): Promise<void> {
  const pool = new Pool({ connectionString: process.env.DATABASE_URL });
  // without this, an idle connection dropped by a database restart crashes the process
  pool.on('error', (error) => console.warn(`idle database connection lost: ${error.message}`));
  await pool.query(`CREATE TABLE IF NOT EXISTS reservations (id serial PRIMARY KEY,
  saga_id uuid NOT NULL, items text[] NOT NULL, status text NOT NULL)`);

  const shop = createParticipant({
    name: 'shop', // consumes <prefix>.commands.shop
    kafka: { brokers: process.env.KAFKA_BROKERS!.split(',') },
    topicPrefix: process.env.SKALD_TOPIC_PREFIX, // the orchestrator's; unset: skald
    database: pool,
    createTables: true,
  })
    .on('reserve', async (req: { items: string[] }, { tx, sagaId }) => {
      const [row] = await tx!.query<{ id: number }>(
        `INSERT INTO reservations (saga_id, items, status) VALUES ($1, $2, 'reserved') RETURNING id`,
        [sagaId, req.items],
      );
      return { id: row.id };
    })
    // called only if reserve ran here; `forward` is its request and the reply it gave
    .onCompensate('release', async (_req, { tx, forward }) => {
      const { id } = forward!.reply as { id: number };
      await tx!.query(`UPDATE reservations SET status = 'released' WHERE id = $1`, [id]);
    })
    .on('charge', async (req: { amount: number }) => {
      if (req.amount > CARD_LIMIT)
        throw new BusinessRefusal('CARD_DECLINED', 'over the card limit');
      return { charged: req.amount };
    });

  await shop.start();
  console.log('shop participant started');
  process.once('SIGTERM', () => void shop.stop().then(() => pool.end()));
}

void main();
