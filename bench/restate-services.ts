// Child process: the benchmark's workflow as Restate services (the TypeScript SDK), in two shapes.
// (a) `calls`: a handler calling three no-op services in turn (the shape of Skald's participants);
// (b) `runs`: a handler with three `ctx.run` steps. Serves them over HTTP/2 on a free port and
// prints "ready <port>"; SIGTERM stops it.
import './promise-with-resolvers';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import * as restate from '@restatedev/restate-sdk';
import { BENCH_COMMAND, BENCH_PARTICIPANTS, BENCH_REPLY } from './workflow';
import { RESTATE_CALLS_SERVICE, RESTATE_HANDLER, RESTATE_RUNS_SERVICE } from './restate-shapes';

const noOp = (name: string) =>
  restate.service({
    name,
    handlers: {
      [BENCH_COMMAND]: async (_ctx: restate.Context, _input: { n: number }) => BENCH_REPLY,
    },
  });
const participants = BENCH_PARTICIPANTS.map(noOp);

const calls = restate.service({
  name: RESTATE_CALLS_SERVICE,
  handlers: {
    [RESTATE_HANDLER]: async (ctx: restate.Context) => {
      for (const [n, participant] of participants.entries())
        await ctx.serviceClient(participant)[BENCH_COMMAND]({ n: n + 1 });
      return BENCH_REPLY;
    },
  },
});

const runs = restate.service({
  name: RESTATE_RUNS_SERVICE,
  handlers: {
    [RESTATE_HANDLER]: async (ctx: restate.Context) => {
      for (const name of BENCH_PARTICIPANTS) await ctx.run(name, async () => BENCH_REPLY);
      return BENCH_REPLY;
    },
  },
});

const server = http2.createServer(
  restate.createEndpointHandler({ services: [...participants, calls, runs] }),
);
server.listen(0, '127.0.0.1', () => {
  console.log(`ready ${(server.address() as AddressInfo).port}`);
});
// no state to flush: Restate retries whatever was in flight
process.once('SIGTERM', () => process.exit(0));
