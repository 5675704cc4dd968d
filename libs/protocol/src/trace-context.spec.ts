import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatTraceParent, parseTraceParent } from './trace-context';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

describe('traceparent', () => {
  it('reads and writes a version 00 header', () => {
    const header = `00-${TRACE_ID}-${SPAN_ID}-01`;
    const parsed = parseTraceParent(header);
    assert.deepEqual(parsed, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1 });
    assert.equal(formatTraceParent(parsed!), header);
  });

  it('reads a later version by its first four fields', () => {
    assert.equal(parseTraceParent(`01-${TRACE_ID}-${SPAN_ID}-00-more`)?.traceFlags, 0);
  });

  it('refuses what is not a traceparent', () => {
    for (const bad of [
      undefined,
      '',
      'garbage',
      `00-${'0'.repeat(32)}-${SPAN_ID}-01`,
      `00-${TRACE_ID}-${'0'.repeat(16)}-01`,
      `ff-${TRACE_ID}-${SPAN_ID}-01`,
      `00-${TRACE_ID}-${SPAN_ID}-01-extra`,
      `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`,
    ])
      assert.equal(parseTraceParent(bad), undefined, String(bad));
  });
});
