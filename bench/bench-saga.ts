// The benchmark's saga (loaded by the orchestrator through SKALD_SAGAS): three steps, one per
// no-op participant of bench/echo-services.ts; `fail` makes the third participant refuse.
import { command, defineSaga } from '@skald/saga';
import { BENCH_COMMAND, BENCH_PARTICIPANTS, BENCH_UNDO } from './workflow';

const [first, second, third] = BENCH_PARTICIPANTS;
// W3 leaves commands unanswered while it starts its backlog: a step timeout must not fire meanwhile
const timeoutMs = 15 * 60_000;

export const benchThreeSteps = defineSaga('bench-three-steps', { version: 1 })
  .input<{ fail?: boolean }>()
  .step(first, {
    invoke: () => command(first, BENCH_COMMAND, { n: 1 }),
    compensate: () => command(first, BENCH_UNDO, {}),
    timeoutMs,
  })
  .step(second, {
    invoke: () => command(second, BENCH_COMMAND, { n: 2 }),
    compensate: () => command(second, BENCH_UNDO, {}),
    timeoutMs,
  })
  .step(third, {
    invoke: (s) => command(third, BENCH_COMMAND, { n: 3, fail: s.input.fail === true }),
    compensate: () => command(third, BENCH_UNDO, {}),
    timeoutMs,
  })
  .build();
