import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FAULT_KINDS, faultSchedule, parseChaosArgs, UsageError } from './chaos-cli';

const count = (list: string[], kind: string) => list.filter((k) => k === kind).length;

describe('the chaos command line', () => {
  it('runs every kind, one weight each, unless --kinds says otherwise', () => {
    assert.deepEqual(
      parseChaosArgs([]).kinds.map((k) => [k.kind, k.weight]),
      FAULT_KINDS.map((k) => [k, 1]),
    );
    const { kinds } = parseChaosArgs(['--kinds', 'orchestrator-kill, kafka-restart']);
    assert.deepEqual(
      kinds.map((k) => k.kind),
      ['orchestrator-kill', 'kafka-restart'],
    );
  });

  it('weights the mix: 28 faults of 15:5:3:2:3 give exactly those counts', () => {
    const { kinds, faults } = parseChaosArgs([
      '--faults',
      '28',
      '--kinds',
      'orchestrator-kill=15,participant-kill=5,kafka-restart=3,postgres-restart=2,orchestrator-pause=3',
    ]);
    const schedule = faultSchedule(kinds, faults, () => 0.5);
    assert.equal(schedule.length, 28);
    assert.deepEqual(
      [
        'orchestrator-kill',
        'participant-kill',
        'kafka-restart',
        'postgres-restart',
        'orchestrator-pause',
      ].map((k) => count(schedule, k)),
      [15, 5, 3, 2, 3],
    );
  });

  it('shares faults in proportion when they do not divide evenly, and selects only the kinds asked', () => {
    const { kinds } = parseChaosArgs(['--kinds', 'orchestrator-kill=2,participant-freeze=1']);
    const schedule = faultSchedule(kinds, 10, Math.random);
    assert.deepEqual(
      [count(schedule, 'orchestrator-kill'), count(schedule, 'participant-freeze')],
      [7, 3],
    );
    assert.equal(schedule.length, 10);
  });

  it('refuses unknown kinds, bad weights and repeated kinds, naming them', () => {
    for (const [kinds, message] of [
      ['orchestrator-kil', /unknown fault kind orchestrator-kil; the kinds are orchestrator-kill/],
      ['orchestrator-kill=0', /--kinds orchestrator-kill= must be an integer of at least 1, got 0/],
      ['kafka-restart=x', /must be an integer of at least 1, got x/],
      ['kafka-restart,kafka-restart=2', /kafka-restart given twice/],
    ] as const) {
      assert.throws(
        () => parseChaosArgs(['--kinds', kinds]),
        (e: unknown) => e instanceof UsageError && message.test(e.message),
      );
    }
    assert.throws(
      () => parseChaosArgs(['--sagas', '0']),
      /--sagas must be an integer of at least 1/,
    );
  });
});
