// docs/protocol.md's worked signature example is what a participant in another language checks
// its implementation against: its canonical input and its ce_signature must be what
// @skald/protocol computes from its key and record, or the page is wrong.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  HEADERS,
  signatureOf,
  signingInput,
  verifySignature,
  type SigningKey,
  type WireMessage,
} from '@skald/protocol';

const PAGE = readFileSync(join(__dirname, '..', '..', 'docs', 'protocol.md'), 'utf8');

/** The fenced blocks of the page's "Worked example" section, in order, with their language. */
function exampleBlocks(): { language: string; text: string }[] {
  const start = PAGE.indexOf('### Worked example');
  assert.ok(start >= 0, 'docs/protocol.md has a "### Worked example" section');
  const end = PAGE.indexOf('\n## ', start);
  const section = PAGE.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map(([, language, text]) => ({
    language,
    text,
  }));
}

describe("docs/protocol.md's worked signature example", () => {
  const [given, canonical, header] = exampleBlocks();
  const { signingKey, record } = JSON.parse(given.text) as {
    signingKey: SigningKey;
    record: WireMessage;
  };

  it('has the canonical input @skald/protocol computes, byte for byte', () => {
    assert.equal(canonical.language, 'text');
    assert.equal(signingInput(record).toString('utf8'), canonical.text);
  });

  it('has the ce_signature @skald/protocol computes, and it verifies', () => {
    const line = header.text.trim();
    assert.equal(line, `${HEADERS.signature}: ${signatureOf(record, signingKey)}`);
    const value = line.slice(`${HEADERS.signature}: `.length);
    const sent = { ...record, headers: { ...record.headers, [HEADERS.signature]: value } };
    assert.deepEqual(verifySignature(sent, [signingKey]), { ok: true, keyId: signingKey.id });
  });
});
