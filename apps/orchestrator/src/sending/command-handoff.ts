// The handoff: an engine transaction that queued commands inserts them leased (CommandLease)
// and, once it has committed, sends them itself, without the relay's wake-up, claim and
// transaction. At low load a step then costs the engine's transaction, one Kafka send and one
// statement after it. The outbox rule holds: nothing is sent before its state is committed, and a
// row goes only once Kafka has acknowledged it.
// It stands aside where the relay's batching or budgets decide: while a relay round runs (there is
// a queue), for a participant with anything queued, a rate limit or a held topic, and for retries
// (their budget is the relay's to spend). A lease runs out after LEASE_MS: if this process dies
// holding one, any relay sends its rows from then on (docs/adr/013-command-handoff.md).
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  SagaStore,
  type LeaseLimits,
  type OutboxRecord,
  type QueuedCommand,
  type SagaTransaction,
} from '@skald/persistence';
import type { CompiledOrchestratorConfig } from '../config/orchestrator-config';
import { ORCHESTRATOR_CONFIG } from '../config/orchestrator-config.token';
import { NO_FAULTS, ORCHESTRATOR_FAULTS, type OrchestratorFaults } from '../faults/fault-points';
import { SkaldMetrics } from '../metrics/metrics.module';
import { ParticipantFlowControl } from '../resilience/flow-control';
import { ClaimCommitGate } from './claim-commit-gate';
import { CommandSender, commandIdsOf } from './command-sender';
import { OutboxSignal } from './outbox-signal';
import { TopicHolds } from './topic-holds';

/** How long a lease keeps relays off a row: the longest a dead process's commands wait. */
export const LEASE_MS = 5_000;

@Injectable()
export class CommandHandoff {
  private readonly logger = new Logger(CommandHandoff.name);

  constructor(
    private readonly store: SagaStore,
    private readonly sender: CommandSender,
    private readonly signal: OutboxSignal,
    private readonly gate: ClaimCommitGate,
    private readonly holds: TopicHolds,
    private readonly flow: ParticipantFlowControl,
    private readonly metrics: SkaldMetrics,
    @Inject(ORCHESTRATOR_CONFIG) private readonly config: CompiledOrchestratorConfig,
    @Inject(ORCHESTRATOR_FAULTS) private readonly faults: OrchestratorFaults = NO_FAULTS,
  ) {}

  /**
   * An engine transaction (SagaStore.transaction) whose commands go by the handoff where they
   * may; the relay is woken for the rest, and when it had left work waiting for room.
   */
  async transaction<T>(work: (tx: SagaTransaction) => Promise<T>): Promise<T> {
    let queued = 0;
    let leased: OutboxRecord[] = [];
    let turnsAtLease: number | undefined;
    let commitUnderWay = false;
    // held for COMMIT (ClaimCommitGate): released once it is over
    let releaseGate: (() => void) | undefined;
    const result = await this.store
      .transaction(async (tx) => {
        if (this.config.commandHandoff) {
          tx.leaseWith({
            limits: (commands) => this.leaseLimits(commands),
            until: () => Date.now() + LEASE_MS,
            around: async (statement) => {
              const committed = this.gate.watch();
              turnsAtLease ??= this.gate.turns;
              const rows = await statement();
              commitUnderWay ||= committed();
              return rows;
            },
            leased: (records) => leased.push(...records),
          });
        }
        const value = await work(tx);
        await tx.flush(); // the last writes, and their lease, before COMMIT
        if (leased.length > 0 && commitUnderWay) {
          // a commit that let go of a participant meanwhile may be missing from the count
          await tx.outbox.release(leased.map((r) => r.id));
          leased = [];
        }
        queued = tx.queuedCommands.length;
        if (leased.length > 0) releaseGate = await this.gate.commit();
        return value;
      })
      .finally(() => releaseGate?.());
    // a claim that ran while this transaction held a participant's lock skipped that participant
    const claimSkipped = leased.length > 0 && this.gate.turns !== turnsAtLease;
    if (queued > leased.length || claimSkipped || this.signal.workQueued) this.signal.signal();
    if (leased.length === 0) return result;
    this.faults.at('handoff:leased', leased);
    void this.send(leased);
    return result;
  }

  /**
   * The limits of the participants whose commands may be leased: none of them the relay's, and
   * none while a relay round runs (there is a queue: its batches are the cheaper way then).
   */
  private leaseLimits(commands: readonly QueuedCommand[]): LeaseLimits[] {
    if (this.signal.roundsRunning > 0) return [];
    const held = new Set(this.holds.blocked());
    const relays = new Set<string>();
    const names = new Set<string>();
    for (const { participant, attempt, topic } of commands) {
      names.add(participant);
      const relayed =
        attempt > 1 || held.has(topic) || this.flow.of(participant).ratePerSecond !== null;
      if (relayed) relays.add(participant);
    }
    return [...names]
      .filter((name) => !relays.has(name))
      .map((name) => {
        const { maxInFlight, halfOpenProbes, openMs } = this.flow.of(name);
        return { name, maxInFlight, halfOpenProbes, openMs };
      });
  }

  /**
   * Sends leased records and records them as dispatched, each committed by itself. What could not
   * be sent or recorded goes back to the relays (sent twice at worst: participants deduplicate).
   */
  private async send(records: OutboxRecord[]): Promise<void> {
    const now = Date.now();
    let sent: OutboxRecord[] = [];
    try {
      // a topic the broker refused is held (TopicHolds): its records go back to the relay
      sent = await this.sender.send(records);
      if (sent.length > 0) {
        this.faults.at('outbox:published');
        await this.store.autocommit((tx) =>
          tx.outbox.dispatched(
            {
              outboxIds: sent.map((r) => r.id),
              commandIds: commandIdsOf(sent),
              retryTokens: new Map(),
            },
            now,
          ),
        );
        this.metrics.outboxPublished.inc(sent.length);
      }
    } catch (error) {
      this.logger.warn(
        `could not send ${records.length} command(s) at once, the relay will: ${(error as Error).message}`,
      );
      sent = [];
    }
    const unsent = records.filter((r) => !sent.includes(r));
    if (unsent.length === 0) return;
    try {
      await this.store.autocommit((tx) => tx.outbox.release(unsent.map((r) => r.id)));
      this.signal.signal();
    } catch (error) {
      // their leases run out by themselves: wake the relay for them then
      this.logger.warn(
        `could not give ${unsent.length} command(s) back to the relay: ${String(error)}`,
      );
      setTimeout(() => this.signal.signal(), LEASE_MS + 100).unref();
    }
  }
}
