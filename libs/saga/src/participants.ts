// Which participants a definition's commands address, found without a saga to run: each step
// callback is called on stand-in views. The orchestrator creates their command topics up front
// (participantsOf), and build() refuses a compensation routed elsewhere than its step.
import type { CommandSpec, SagaDefinition } from './define-saga';

/** Stands for any saga input or data: every property, call and conversion yields a value. */
function standIn(primitive: number): unknown {
  const value: unknown = new Proxy(function anyValue() {}, {
    get: (_target, key) => (key === Symbol.toPrimitive ? () => primitive : value),
    apply: () => value,
  });
  return value;
}
const STAND_INS = [standIn(0), standIn(1)];

/**
 * The participant a step callback addresses, when it does not depend on the saga (the usual
 * `command('cars', ...)`); undefined when it does (two stand-in views that convert to different
 * values give two names, e.g. `warehouse-${s.input.site}`) or it cannot run on a stand-in view.
 * decide() checks the compensation's participant again on every send.
 */
export function probedParticipant(callback: (saga: never) => CommandSpec): string | undefined {
  const names = STAND_INS.map((stand) => {
    try {
      const participant = callback({ id: '', input: stand, data: stand } as never)?.participant;
      return typeof participant === 'string' ? participant : undefined;
    } catch {
      return undefined;
    }
  });
  return names.every((n) => n === names[0]) ? names[0] : undefined;
}

/**
 * The participants a definition's commands (forward and compensation) address whatever the saga,
 * sorted; one chosen from the saga's input or data is not known before it runs and is not listed.
 */
export function participantsOf(definition: SagaDefinition): string[] {
  const names = new Set<string>();
  for (const step of definition.stages.flatMap((stage) => stage.steps)) {
    for (const callback of [step.invoke, step.compensate]) {
      const name = callback && probedParticipant(callback);
      if (name !== undefined) names.add(name);
    }
  }
  return [...names].sort();
}
