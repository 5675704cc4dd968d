import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { hasSample, parsePrometheusText, sampleValue } from './prometheus-text';

describe('parsePrometheusText', () => {
  it("reads what prom-client writes: labels (escaped too), histograms' samples, types", async () => {
    const registry = new Registry();
    const counter = new Counter({
      name: 'c_total',
      help: 'c',
      labelNames: ['k'],
      registers: [registry],
    });
    counter.inc({ k: 'a "quoted" \\ value' }, 2);
    counter.inc({ k: 'b' }, 3);
    const histogram = new Histogram({
      name: 'h_seconds',
      help: 'h',
      buckets: [0.1, 1],
      registers: [registry],
    });
    histogram.observe(0.05);
    histogram.observe(5);

    const scrape = parsePrometheusText(await registry.metrics());
    assert.equal(sampleValue(scrape, 'c_total', { k: 'a "quoted" \\ value' }), 2);
    assert.equal(sampleValue(scrape, 'c_total'), 5);
    assert.equal(sampleValue(scrape, 'h_seconds_count'), 2);
    assert.equal(sampleValue(scrape, 'h_seconds_sum'), 5.05);
    assert.equal(sampleValue(scrape, 'h_seconds_bucket', { le: '0.1' }), 1);
    assert.equal(sampleValue(scrape, 'h_seconds_bucket', { le: '+Inf' }), 2);
    assert.equal(scrape.types.get('h_seconds'), 'histogram');
    assert.equal(scrape.types.get('c_total'), 'counter');
    assert.ok(hasSample(scrape, 'c_total') && !hasSample(scrape, 'missing'));
  });

  it('refuses a line that is not a sample', () => {
    assert.throws(() => parsePrometheusText('metric{ 1\n'), /not a Prometheus sample: metric\{ 1/);
  });
});
