// The chaos run's invariants, checked from the orchestrator's tables and the demo participants'
// once every saga has settled: whatever each saga's final status, the effects left in the
// participants' tables must match it.
import type { Client } from 'pg';

/**
 * A saga living through a fault (or this long after it) may end by a timeout instead of as its
 * inputs dictate: its command went out and no reply came in time, so it compensated.
 */
export const FAULT_MARGIN_MS = 30_000;
/** Error codes that say a saga ended because a reply did not come in time. */
const TIMEOUT_CODES = ['STEP_TIMEOUT', 'DEADLINE_EXCEEDED'];

/** A trip the run started, and the status its inputs demand. */
export interface PlannedSaga {
  key: string;
  input: {
    customer: string;
    car: { model: string };
    hotel: { city: string; nights: number };
    flight: { to: string };
    amount: number;
  };
  expected: 'completed' | 'compensated';
  id?: string;
}

/** A fault's kind and when it began and ended (epoch ms). */
export interface FaultWindow {
  kind: string;
  start: number;
  end: number;
}

interface RecordedError {
  code: string;
  step?: string;
  details?: { lastError?: { code?: string } };
}

/** The saga gave up because a reply did not come in time (directly, or as its last retry's cause). */
function timeoutCaused(error: RecordedError | null): boolean {
  if (!error) return false;
  if (TIMEOUT_CODES.includes(error.code)) return true;
  return (
    error.code === 'RETRIES_EXHAUSTED' &&
    TIMEOUT_CODES.includes(error.details?.lastError?.code ?? '')
  );
}

function describeError(error: RecordedError): string {
  const last = error.details?.lastError?.code;
  return `${error.code}${error.step ? ` at ${error.step}` : ''}${last ? ` after ${last}` : ''}`;
}

export interface InvariantReport {
  violations: { kind: string; text: string }[];
  /** Sagas that ended otherwise than their inputs dictate, by a timeout during a fault. */
  byTimeout: number;
  /** Every saga's final status. */
  statuses: string[];
}

export async function checkInvariants(
  db: Client,
  planned: PlannedSaga[],
  windows: FaultWindow[],
): Promise<InvariantReport> {
  const violations: { kind: string; text: string }[] = [];
  const violate = (kind: string, text: string) => violations.push({ kind, text });
  interface SagaRow {
    id: string;
    status: string;
    error: RecordedError | null;
    created_at: Date;
    ended_at: Date | null;
  }
  const rowsById = new Map(
    (
      await db.query<SagaRow>(
        'SELECT id, status, error, created_at, ended_at FROM skald.saga_instance',
      )
    ).rows.map((r) => [r.id, r]),
  );
  if (rowsById.size !== planned.length)
    violate('lost', `${rowsById.size} sagas in the database, ${planned.length} started`);
  const rows = async (table: string) =>
    (await db.query<{ saga_id: string; status: string }>(`SELECT saga_id, status FROM ${table}`))
      .rows;
  const tables = {
    cars: await rows('demo_car_rentals'),
    hotels: await rows('demo_hotel_bookings'),
    flights: await rows('demo_flight_tickets'),
  };
  const payments = (
    await db.query<{ saga_id: string; amount: string }>('SELECT saga_id, amount FROM demo_payments')
  ).rows;

  const now = Date.now();
  const duringFault = (row: SagaRow) => {
    const from = row.created_at.getTime();
    const to = row.ended_at?.getTime() ?? now;
    return windows.some((w) => from <= w.end + FAULT_MARGIN_MS && to >= w.start);
  };
  let byTimeout = 0;
  let chargedMoney = 0;
  for (const saga of planned) {
    const row = rowsById.get(saga.id!);
    if (!row) continue; // counted above
    const label = `saga ${saga.key} ${saga.id} (${row.status}${row.error ? `, ${describeError(row.error)}` : ''})`;
    // a timeout during a fault may end a saga either way; anything else must end as planned
    const alternative = timeoutCaused(row.error) && duringFault(row);
    if (row.status === 'failed') {
      violate('failed', `${label}: failed, needs an operator`);
    } else if (row.status !== saga.expected) {
      if (alternative && (row.status === 'completed' || row.status === 'compensated')) byTimeout++;
      else violate('status', `${label}: its inputs demand ${saga.expected}`);
    }
    // whatever the status, effects must match it: all of them once, or none left
    if (row.status === 'completed') {
      for (const [name, list] of Object.entries(tables)) {
        const mine = list.filter((r) => r.saga_id === saga.id);
        const active = mine.filter((r) => r.status !== 'cancelled').length;
        if (mine.length !== 1 || active !== 1)
          violate(
            `${name} not once`,
            `${label}: ${name} has ${mine.length} rows (${active} active), expected exactly one`,
          );
      }
    } else if (row.status === 'compensated') {
      for (const [name, list] of Object.entries(tables)) {
        const active = list.filter((r) => r.saga_id === saga.id && r.status !== 'cancelled');
        if (active.length > 0)
          violate(`orphan ${name}`, `${label}: orphan ${name} reservation (${active.length})`);
      }
    }
    const charged = payments.filter((p) => p.saga_id === saga.id);
    const charges = row.status === 'completed' ? 1 : 0;
    if (charged.length !== charges && row.status !== 'failed')
      violate('charges', `${label}: ${charged.length} charges, expected ${charges}`);
    if (row.status === 'completed') chargedMoney += saga.input.amount;
  }
  const money = payments.reduce((sum, p) => sum + Number(p.amount), 0);
  if (money !== chargedMoney)
    violate('ledger', `payments ledger holds ${money}, completed sagas charged ${chargedMoney}`);
  const outbox = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM skald.outbox'))
    .rows[0].n;
  if (outbox !== 0) violate('outbox', `${outbox} outbox rows left unpublished`);
  return { violations, byTimeout, statuses: [...rowsById.values()].map((r) => r.status) };
}
