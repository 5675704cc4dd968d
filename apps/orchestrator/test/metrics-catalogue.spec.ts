// The metrics' docs and dashboard cannot go stale: docs/metrics.md lists exactly the metrics the
// orchestrator registers (names, types, labels), and every metric and label the Grafana dashboard
// queries is one it exposes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { SkaldMetrics } from '../src/metrics/skald-metrics';
import { StateGauges } from '../src/metrics/state-gauges';
import { ReplyLagGauge } from '../src/replies/reply-lag-gauge';
import { ParticipantGauges } from '../src/resilience/participant-gauges';

const docs = join(__dirname, '../../../docs');

interface Family {
  type: string;
  labels: string[];
}

/**
 * The metrics every provider that registers some registers, by name. Their readers (database,
 * Kafka) are only called at scrape time, never here: only names, types and labels are read.
 */
function orchestratorMetrics(): Map<string, Family> {
  const metrics = new SkaldMetrics();
  const unused = {} as never;
  new StateGauges(metrics, unused);
  new ParticipantGauges(metrics, unused, unused);
  new ReplyLagGauge(metrics, unused, { topicPrefix: 'skald' } as never);
  return familiesOf(metrics.registry);
}

function familiesOf(registry: Registry): Map<string, Family> {
  const typeOf = (metric: unknown) =>
    metric instanceof Histogram
      ? 'histogram'
      : metric instanceof Counter
        ? 'counter'
        : metric instanceof Gauge
          ? 'gauge'
          : metric instanceof Summary
            ? 'summary'
            : 'unknown';
  return new Map(
    registry.getMetricsAsArray().map((metric) => {
      const { name, labelNames = [] } = metric as unknown as {
        name: string;
        labelNames?: string[];
      };
      return [name, { type: typeOf(metric), labels: [...labelNames].sort() }];
    }),
  );
}

/** prom-client's default metrics, as the orchestrator registers them (prefix `skald_`). */
function defaultMetricNames(): Set<string> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'skald_' });
  return new Set(familiesOf(registry).keys());
}

/** The rows of docs/metrics.md's table: the names, type and labels of each. */
function documentedRows(): { names: string[]; type: string; labels: string[] }[] {
  const text = readFileSync(join(docs, 'metrics.md'), 'utf8');
  const ticked = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
  return text
    .split('\n')
    .filter((line) => line.startsWith('| `skald_'))
    .map((line) => {
      const [name, type, labels] = line.split('|').slice(1, 4);
      return { names: ticked(name), type: type.trim(), labels: ticked(labels).sort() };
    });
}

interface Dashboard {
  schemaVersion: number;
  templating: { list: { name: string; type: string; query: unknown; definition?: string }[] };
  panels: Panel[];
}
interface Panel {
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: { expr: string; datasource?: { uid: string } }[];
  panels?: Panel[];
}

function dashboard(): Dashboard {
  return JSON.parse(readFileSync(join(docs, 'grafana/skald-dashboard.json'), 'utf8')) as Dashboard;
}

/** Every panel, those inside collapsed rows too. */
const allPanels = (panels: Panel[]): Panel[] =>
  panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);

/** Every PromQL expression of the dashboard: its panels' queries and its variables'. */
function dashboardQueries(board: Dashboard): { where: string; expr: string }[] {
  const panelQueries = allPanels(board.panels).flatMap((p) =>
    (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr })),
  );
  const variableQueries = board.templating.list
    .filter((v) => v.type === 'query')
    .map((v) => ({
      where: `variable ${v.name}`,
      expr: typeof v.query === 'string' ? v.query : (v.query as { query: string }).query,
    }));
  return [...panelQueries, ...variableQueries];
}

const HISTOGRAM_SERIES = /_(bucket|sum|count)$/;

/** The family a series name of a query belongs to (`x_bucket` of histogram `x`), if exposed. */
function familyOf(series: string, families: Map<string, Family>): Family | undefined {
  const exact = families.get(series);
  if (exact) return exact;
  const histogram = families.get(series.replace(HISTOGRAM_SERIES, ''));
  return histogram?.type === 'histogram' && HISTOGRAM_SERIES.test(series) ? histogram : undefined;
}

describe('the metrics catalogue', () => {
  const families = orchestratorMetrics();
  const defaults = defaultMetricNames();

  it('docs/metrics.md lists every metric the orchestrator registers, with its type and labels', () => {
    const rows = documentedRows();
    const wildcards = rows.flatMap((r) => r.names.filter((n) => n.endsWith('*')));
    const documented = new Map(
      rows.flatMap((r) => r.names.filter((n) => !n.endsWith('*')).map((n) => [n, r])),
    );
    for (const [name, family] of families) {
      if (defaults.has(name)) {
        assert.ok(
          wildcards.some((w) => name.startsWith(w.slice(0, -1))),
          `${name} (a default metric) is under a documented prefix`,
        );
        continue;
      }
      const row = documented.get(name);
      assert.ok(row, `${name} is documented in docs/metrics.md`);
      assert.equal(row.type, family.type, `${name}'s type`);
      assert.deepEqual(row.labels, family.labels, `${name}'s labels`);
    }
    for (const name of documented.keys())
      assert.ok(families.has(name), `docs/metrics.md lists ${name}, which nothing registers`);
  });

  it('the Grafana dashboard queries only metrics and labels the orchestrator exposes', () => {
    const board = dashboard();
    const queries = dashboardQueries(board);
    assert.ok(queries.length > 10, `${queries.length} queries`);
    const used = new Set<string>();
    for (const { where, expr } of queries) {
      const series = [...expr.matchAll(/\bskald_[a-zA-Z0-9_]+/g)].map((m) => m[0]);
      assert.ok(series.length > 0, `${where} queries a metric of Skald: ${expr}`);
      const labels = new Set(['le']);
      for (const name of series) {
        const family = familyOf(name, families);
        assert.ok(family, `${where}: ${name} is exposed by the orchestrator (${expr})`);
        family.labels.forEach((l) => labels.add(l));
        used.add(name.replace(HISTOGRAM_SERIES, ''));
      }
      for (const [, name, selector] of expr.matchAll(/\b(skald_[a-zA-Z0-9_]+)\{([^}]*)\}/g)) {
        for (const [, label] of selector.matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g))
          assert.ok(
            familyOf(name, families)!.labels.includes(label) || label === 'le',
            `${where}: ${name} has a label ${label}`,
          );
      }
      for (const [, grouping] of expr.matchAll(/\bby \(([^)]*)\)/g)) {
        for (const label of grouping.split(',').map((l) => l.trim()))
          assert.ok(labels.has(label), `${where}: "by (${grouping})" groups by a label it has`);
      }
    }
    // the metrics of issue #17's item 2 all have a panel
    for (const name of [
      'skald_sagas',
      'skald_saga_duration_seconds',
      'skald_step_duration_seconds',
      'skald_reply_to_command_seconds',
      'skald_outbox_age_at_publish_seconds',
      'skald_outbox_backlog',
      'skald_reply_consumer_lag',
      'skald_oldest_running_saga_age_seconds',
      'skald_participant_breaker_state',
    ])
      assert.ok(used.has(name), `a panel shows ${name}`);
  });

  it('the dashboard is a Grafana 10 dashboard on a Prometheus data source variable', () => {
    const board = dashboard();
    assert.ok(board.schemaVersion >= 38, `schemaVersion ${board.schemaVersion} (Grafana 10: 38)`);
    const source = board.templating.list.find((v) => v.type === 'datasource');
    assert.deepEqual([source?.name, source?.query], ['datasource', 'prometheus']);
    for (const panel of allPanels(board.panels).filter((p) => p.type !== 'row')) {
      assert.equal(panel.datasource?.uid, '${datasource}', `panel "${panel.title}"`);
      assert.ok((panel.targets ?? []).length > 0, `panel "${panel.title}" has a query`);
    }
  });
});
