// An in-memory given/expect driver for saga definitions: no Kafka, no database, virtual time.
import type { Outcome } from '@skald/protocol';
import { decide, initialState } from './decide';
import type { SagaDefinition } from './define-saga';
import type { HistoryEntry, OutgoingCommand, SagaEvent, SagaState, TimerRequest } from './types';

export interface ScenarioOptions {
  input: unknown;
  /** @default 'saga-1' */
  id?: string;
  /** Backoff jitter source. @default () => 0.5 */
  random?: () => number;
}

/**
 * Drives one saga through `decide()`:
 *
 *   sagaScenario(bookTrip, { input })
 *     .expectCommand('cars', 'reserve').reply('success', { id: 'c1' })
 *     .expectCommand('hotels', 'reserve').reply('failure', { code: 'FULL', message: 'no rooms' })
 *     .expectCommand('cars', 'cancel').reply('success')
 *     .expectStatus('compensated');
 */
export class SagaScenario {
  private current: SagaState;
  private readonly outgoing: OutgoingCommand[] = [];
  private readonly pendingTimers: TimerRequest[] = [];
  private readonly log: HistoryEntry[] = [];
  private last: OutgoingCommand | undefined;
  private now = 0;
  private ids = 0;
  /** Why the last event changed nothing, if it did not. */
  lastIgnored: string | undefined;

  constructor(
    private readonly definition: SagaDefinition,
    private readonly options: ScenarioOptions,
  ) {
    this.current = initialState(definition, {
      id: options.id ?? 'saga-1',
      input: options.input,
      now: 0,
    });
    this.apply({ kind: 'start' });
  }

  get state(): SagaState {
    return this.current;
  }
  get history(): readonly HistoryEntry[] {
    return this.log;
  }
  /** Commands sent and not yet taken by expectCommand. */
  get unexpected(): readonly OutgoingCommand[] {
    return this.outgoing;
  }

  private apply(event: SagaEvent): this {
    const decision = decide(this.definition, this.current, event, {
      now: this.now,
      newId: () => `cmd-${++this.ids}`,
      random: this.options.random ?? (() => 0.5),
    });
    this.lastIgnored = decision.ignored;
    this.current = decision.state;
    this.outgoing.push(...decision.commands);
    this.pendingTimers.push(...decision.timers);
    this.log.push(...decision.history);
    return this;
  }

  /** Takes the oldest unexpected command and checks it (and its payload, when given). */
  expectCommand(participant: string, command: string, payload?: unknown): this {
    const next = this.outgoing.shift();
    const want = `${participant}.${command}`;
    if (!next)
      throw new Error(`expected command ${want}, but none was sent (saga ${this.current.status})`);
    if (`${next.participant}.${next.command}` !== want) {
      throw new Error(
        `expected command ${want}, got ${next.participant}.${next.command} (step ${next.step}, ${next.phase})`,
      );
    }
    if (payload !== undefined && JSON.stringify(next.payload) !== JSON.stringify(payload)) {
      throw new Error(
        `command ${want}: expected payload ${JSON.stringify(payload)}, got ${JSON.stringify(next.payload)}`,
      );
    }
    this.last = next;
    return this;
  }

  expectNoCommands(): this {
    if (this.outgoing.length > 0) {
      throw new Error(
        `expected no commands, got ${this.outgoing.map((c) => `${c.participant}.${c.command}`).join(', ')}`,
      );
    }
    return this;
  }

  /** Replies to the last expected command (or to `to`). Failure/error data default to a code. */
  reply(outcome: Outcome, data?: unknown, to: OutgoingCommand | undefined = this.last): this {
    if (!to) throw new Error('reply(): no command expected yet');
    const body =
      data ??
      (outcome === 'success' ? {} : { code: outcome.toUpperCase(), message: `${outcome} reply` });
    return this.apply({
      kind: 'reply',
      step: to.step,
      phase: to.phase,
      commandId: to.id,
      outcome,
      data: body,
    });
  }

  /** The last expected command's timeout fires. */
  timeout(): this {
    const to = this.last;
    if (!to) throw new Error('timeout(): no command expected yet');
    return this.apply({
      kind: 'step-timeout',
      step: to.step,
      phase: to.phase,
      attempt: to.attempt,
    });
  }

  /** Moves the virtual clock and fires every timer due by then, oldest first (none while paused). */
  advance(ms: number): this {
    this.now += ms;
    for (;;) {
      // like the engine, a paused saga holds its timers: they fire once it is resumed
      if (this.current.status === 'paused') return this;
      const due = this.pendingTimers
        .filter((t) => t.dueAt <= this.now)
        .sort((a, b) => a.dueAt - b.dueAt)[0];
      if (!due) return this;
      this.pendingTimers.splice(this.pendingTimers.indexOf(due), 1);
      this.apply(
        due.kind === 'deadline'
          ? { kind: 'deadline' }
          : {
              kind: due.kind === 'retry' ? 'retry-due' : 'step-timeout',
              step: due.step,
              phase: due.phase,
              attempt: due.attempt,
            },
      );
    }
  }

  cancel(reason?: string): this {
    return this.apply({ kind: 'cancel', reason });
  }
  resume(): this {
    return this.apply({ kind: 'resume' });
  }
  skipCompensation(step: string, reason: string): this {
    return this.apply({ kind: 'skip-compensation', step, reason });
  }
  pause(reason: string): this {
    return this.apply({ kind: 'pause', reason });
  }
  /** Resumes a paused saga (the operator's POST …/resume). */
  unpause(): this {
    return this.apply({ kind: 'unpause' });
  }
  skipStep(step: string, reason: string): this {
    return this.apply({ kind: 'skip-step', step, reason });
  }

  expectStatus(status: SagaState['status']): this {
    if (this.current.status !== status) {
      throw new Error(
        `expected saga ${status}, it is ${this.current.status} (error: ${JSON.stringify(this.current.error)})`,
      );
    }
    return this;
  }
}

export function sagaScenario(definition: SagaDefinition, options: ScenarioOptions): SagaScenario {
  return new SagaScenario(definition, options);
}
