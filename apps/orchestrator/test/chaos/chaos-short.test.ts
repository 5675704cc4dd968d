import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '@skald/testing';

describe('chaos, short run', () => {
  it(
    'keeps every invariant while an orchestrator and the participants are SIGKILLed, and the participants frozen, mid-run',
    { timeout: 600_000 },
    async () => {
      const child = spawn(
        process.execPath,
        [
          '-r',
          '@swc-node/register',
          join(__dirname, 'chaos.ts'),
          '--sagas',
          '30',
          '--faults',
          '3',
          '--kinds',
          'orchestrator-kill,participant-kill,participant-freeze',
          '--seed',
          '11',
        ],
        // a stack of its own: the run restarts servers and must not disturb other test files
        { cwd: repoRoot, env: { ...process.env, DATABASE_URL: '', KAFKA_BROKERS: '' } },
      );
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      const summary = /^chaos: (\d+) sagas, (\d+) faults, (\d+) violations$/m.exec(output);
      assert.ok(summary, `no summary line in:\n${output.slice(-3_000)}`);
      assert.deepEqual(summary.slice(1).map(Number), [30, 3, 0], output.slice(-3_000));
      assert.match(output, /fault: orchestrator-kill/);
      assert.match(output, /fault: participant-kill/);
      assert.match(output, /fault: participant-freeze/);
      assert.equal(code, 0);
    },
  );
});
