// The one workflow every system in the benchmark runs: three steps, each a command to a no-op
// participant that echoes a small reply. Names shared by the saga, the participants and the floor.

export const BENCH_SAGA_TYPE = 'bench-three-steps';
export const BENCH_PARTICIPANTS = ['alpha', 'beta', 'gamma'] as const;
export const BENCH_COMMAND = 'work';
export const BENCH_UNDO = 'undo';
/** The small reply every no-op participant echoes. */
export const BENCH_REPLY = { ok: true, ref: 'bench-0001' };
/** The business code of the third step's refusal in W2. */
export const BENCH_REFUSAL = 'BENCH_REFUSED';
