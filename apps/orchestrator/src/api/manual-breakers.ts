// An operator opens or closes a participant's breaker by hand (POST /v1/participants/:name/breaker).
// Opened by hand, it stays open until closed by hand: no timeout turns it half-open and no reply
// closes it, so an operator who took a participant out for maintenance decides when it is back
// (docs/adr/010-flow-control.md). Closed by hand, it forgets the failures counted and then trips
// and recovers on its own again.
import { Injectable, Logger } from '@nestjs/common';
import { SagaQueries, SagaStore } from '@skald/persistence';
import { participantsOf } from '@skald/saga';
import { OutboxSignal } from '../sending/outbox-signal';
import { SkaldMetrics } from '../metrics/metrics.module';
import { SagaDefinitions } from '../registry/saga-definitions';
import { ParticipantUnknownError } from '../resilience/errors';
import { ParticipantFlowControl, type ManualBreakerState } from '../resilience/flow-control';

export interface ManualBreakerRequest {
  readonly state: ManualBreakerState;
  readonly reason: string;
  /** The API key's name (or the anonymous actor when the API is open). */
  readonly actor: string;
}

@Injectable()
export class ManualBreakers {
  private readonly logger = new Logger(ManualBreakers.name);

  constructor(
    private readonly store: SagaStore,
    private readonly queries: SagaQueries,
    private readonly definitions: SagaDefinitions,
    private readonly flowControl: ParticipantFlowControl,
    private readonly signal: OutboxSignal,
    private readonly metrics: SkaldMetrics,
  ) {}

  /** Sets the breaker of a participant the orchestrator knows; refuses a name it does not know. */
  async set(participant: string, request: ManualBreakerRequest, now = Date.now()): Promise<void> {
    await this.checkKnown(participant);
    await this.store.setManualBreaker(participant, { ...request, at: now });
    this.metrics.breakerTransitions.inc({ participant, to: request.state });
    this.logger.warn(
      `circuit breaker of participant "${participant}" ${request.state === 'open' ? 'opened' : 'closed'} by hand by ${request.actor}: ${request.reason}`,
    );
    // this process's relay ignores its own NOTIFY: wake it here (a closed breaker frees commands)
    this.signal.signal();
  }

  /** Known: a registered definition addresses it, a command went to it, or it has limits of its own. */
  private async checkKnown(participant: string): Promise<void> {
    const addressed = this.definitions.list().flatMap(participantsOf);
    if (addressed.includes(participant) || this.flowControl.isConfigured(participant)) return;
    const rows = (await this.queries.participants()).map((p) => p.name);
    if (rows.includes(participant)) return;
    const known = [...new Set([...addressed, ...rows, ...this.flowControl.configured().keys()])];
    throw new ParticipantUnknownError(participant, known.sort());
  }
}
