// The SDK's in-doubt question to a coordinator that requires API keys (a real orchestrator with
// SKALD_API_KEYS): without twoPhase.apiKey, or with a key lacking `read`, it gets no decision and
// a reason saying what to set; with a read key its question is answered (here: no record of the
// transaction, so presumed abort — the coordinator's own answer, not a 401).
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { OrchestratorHarness } from '@skald/testing';
import { askCoordinator } from '../src/two-phase';

const READ = `banks-${randomBytes(16).toString('hex')}`;
const START = `ci-${randomBytes(16).toString('hex')}`;

describe("the SDK's in-doubt question with API keys (orchestrator process)", () => {
  let skald: OrchestratorHarness;
  before(async () => {
    skald = await OrchestratorHarness.start({
      sagas: [],
      env: { SKALD_API_KEYS: `banks:read:${READ},ci:start:${START}` },
    });
  });
  after(() => skald.stop());

  it('says to set twoPhase.apiKey when the coordinator answers 401', async () => {
    assert.deepEqual(await askCoordinator(skald.url, randomUUID()), {
      decision: undefined,
      why: 'HTTP 401: the coordinator requires an API key; set twoPhase.apiKey to a key with the read scope',
    });
    const unknownKey = await askCoordinator(skald.url, randomUUID(), `${READ}x`);
    assert.match(
      (unknownKey as { why: string }).why,
      /^HTTP 401: .* does not know twoPhase\.apiKey/,
    );
  });

  it('says the key lacks the read scope when the coordinator answers 403', async () => {
    const answer = await askCoordinator(skald.url, randomUUID(), START);
    assert.deepEqual(answer, {
      decision: undefined,
      why: 'HTTP 403: twoPhase.apiKey lacks the read scope the coordinator asks for',
    });
  });

  it('is answered by the coordinator itself with a read key', async () => {
    assert.deepEqual(await askCoordinator(skald.url, randomUUID(), READ), {
      decision: 'abort',
      presumed: true,
    });
  });
});
