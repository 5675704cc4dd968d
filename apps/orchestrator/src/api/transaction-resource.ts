import type { TwoPhaseView } from '@skald/persistence';
import type { TransactionDto } from './dto/transaction-resource.dto';

/** The transaction resource of docs/rest-api.md (Transactions). */
export function transactionResource(tx: TwoPhaseView): TransactionDto {
  const unacknowledged = tx.participants.filter((p) => !p.acknowledged).map((p) => p.participant);
  return {
    id: tx.id,
    status: tx.status,
    decision: tx.decision ?? undefined,
    reason: tx.reason ?? undefined,
    // who has not acknowledged the decision, once the coordinator stopped re-sending it
    unacknowledged: tx.status === 'unacknowledged' || tx.resolution ? unacknowledged : undefined,
    resolution: tx.resolution
      ? { ...tx.resolution, at: new Date(tx.resolution.at).toISOString() }
      : undefined,
    timeoutMs: tx.timeoutMs,
    participants: tx.participants.map((p) => ({
      participant: p.participant,
      command: p.command,
      payload: p.payload,
      vote: p.vote ?? undefined,
      acknowledged: p.acknowledged,
      error: p.error ?? undefined,
    })),
    createdAt: tx.createdAt.toISOString(),
    updatedAt: tx.updatedAt.toISOString(),
    prepareDeadlineAt: new Date(tx.prepareDeadlineAt).toISOString(),
    acknowledgeDeadlineAt:
      tx.acknowledgeDeadlineAt === null
        ? undefined
        : new Date(tx.acknowledgeDeadlineAt).toISOString(),
    decidedAt: tx.decidedAt?.toISOString(),
    endedAt: tx.endedAt?.toISOString(),
  };
}
