// Fail-fast flow control, resolved before a decision is written: each awaited command for a
// participant whose breaker is open is answered at once with a transient CIRCUIT_OPEN error
// instead of being queued, and decide() takes it from there (a retry timer, or compensation once
// retries are spent). In the default "wait" mode commands queue behind the breaker instead.
import { Injectable } from '@nestjs/common';
import type { SagaTransaction } from '@skald/persistence';
import {
  decide,
  followedBy,
  type DecideContext,
  type OutgoingCommand,
  type SagaDecision,
  type SagaDefinition,
} from '@skald/saga';
import {
  BREAKER_MODES,
  BREAKER_STATES,
  breakerState,
  MANUAL_BREAKER_STATES,
  ParticipantFlowControl,
} from './flow-control';

export const CIRCUIT_OPEN_CODE = 'CIRCUIT_OPEN';

/** A command answered with CIRCUIT_OPEN instead of being sent, and that answer. */
export interface RefusedCommand {
  command: OutgoingCommand;
  error: { code: string; message: string };
}

/** One saga's decision, before fail-fast. */
export interface UnresolvedDecision {
  definition: SagaDefinition;
  decision: SagaDecision;
}

/** Bounds the refusals per decision (each one fails a command; retries come back as timers). */
const MAX_REFUSALS = 100;

@Injectable()
export class FailFast {
  constructor(private readonly flowControl: ParticipantFlowControl) {}

  /**
   * Each decision with its refused commands answered. One read of the breakers for the whole
   * transaction (none in "wait" mode), then pure: the breakers do not change before the commit.
   */
  async resolve<T extends UnresolvedDecision>(
    tx: SagaTransaction,
    items: T[],
    ctx: DecideContext,
  ): Promise<(T & { refused: RefusedCommand[] })[]> {
    const awaitsAny = items.some(({ decision }) => decision.commands.some(isAwaited));
    if (this.flowControl.defaults.mode !== BREAKER_MODES.failFast || !awaitsAny) {
      return items.map((item) => ({ ...item, refused: [] }));
    }
    const open = new Map(
      (await tx.participants.notClosed())
        .filter((flow) => {
          const options = this.flowControl.of(flow.name);
          return breakerState(flow, ctx.now, options) === BREAKER_STATES.open;
        })
        .map((flow) => [flow.name, whenProbed(flow, this.flowControl.of(flow.name).openMs)]),
    );
    return items.map((item) => ({
      ...item,
      ...refuseCommandsTo(open, item.definition, item.decision, ctx),
    }));
  }
}

/** A fence is not awaited: it waits for the breaker like any command, never fails fast. */
const isAwaited = (command: OutgoingCommand) => command.phase !== 'fence';

/** When an open breaker lets probes through, as the refusal says it. */
function whenProbed(flow: { manualState: string | null }, openMs: number): string {
  return flow.manualState === MANUAL_BREAKER_STATES.open
    ? 'it was opened by hand and stays open until closed by hand'
    : `it is probed again within ${openMs} ms`;
}

/**
 * Answers the awaited commands to `open` participants one by one, deciding after each answer.
 * `open`: each participant whose breaker is open, and when it lets probes through.
 */
export function refuseCommandsTo(
  open: ReadonlyMap<string, string>,
  definition: SagaDefinition,
  decision: SagaDecision,
  ctx: DecideContext,
): { decision: SagaDecision; refused: RefusedCommand[] } {
  const refused: RefusedCommand[] = [];
  for (let round = 0; round < MAX_REFUSALS; round++) {
    const command = decision.commands.find((c) => isAwaited(c) && open.has(c.participant));
    if (!command) break;
    const error = circuitOpenError(command.participant, open.get(command.participant) ?? '');
    refused.push({ command, error });
    const next = decide(
      definition,
      decision.state,
      {
        kind: 'reply',
        step: command.step,
        phase: command.phase,
        commandId: command.id,
        outcome: 'error',
        data: error,
      },
      ctx,
    );
    const withoutCommand = {
      ...decision,
      commands: decision.commands.filter((c) => c !== command),
      timers: decision.timers.filter(
        (t) => t.kind !== 'step-timeout' || t.commandId !== command.id,
      ),
    };
    decision = followedBy(withoutCommand, next);
  }
  return { decision, refused };
}

function circuitOpenError(participant: string, probed: string) {
  return {
    code: CIRCUIT_OPEN_CODE,
    message: `not sent: the circuit breaker of participant "${participant}" is open (${probed})`,
  };
}
