// The overview: how many sagas are where (those needing attention first), the oldest running
// ones and why they wait, and the participants whose breaker is not closed.
import type { SagaCounts } from '@skald/persistence';
import type { sagaResource } from '../../api/saga-resource';
import type { SagaViews } from '../../api/saga-views';
import { html, path, query, type Html } from '../html';
import { byAttention, dataTable, relativeTime, statusBadge, stepLabel } from './format';
import { live } from './layout';

type Saga = ReturnType<typeof sagaResource>;
type Participant = Awaited<ReturnType<SagaViews['participants']>>['items'][number];

export interface OverviewInput {
  counts: SagaCounts;
  oldestRunning: Saga[];
  troubledParticipants: Participant[];
}

/** What a running saga is waiting for now, in words. */
function waitingFor(saga: Saga): string {
  if (saga.waitReason) return `operator: ${saga.waitReason}`;
  const active = saga.steps.filter((s) => !['pending', 'succeeded', 'skipped'].includes(s.status));
  if (active.length === 0) return 'its next step';
  return active.map((s) => `${s.name} (${stepLabel(s.status)}, attempt ${s.attempts})`).join(', ');
}

function countCards({ exact, estimated }: SagaCounts): Html {
  const statuses = [
    ...new Set([...exact.map((c) => c.status), ...estimated.map((c) => c.status)]),
  ].sort(byAttention);
  if (statuses.length === 0) return html`<p class="muted">No sagas yet.</p>`;
  return html`<div class="cards">
      ${statuses.map((status) => {
        const ofStatus = exact.filter((c) => c.status === status);
        const estimate = estimated.find((c) => c.status === status);
        const total = estimate?.count ?? ofStatus.reduce((sum, c) => sum + c.count, 0);
        return html`<div class="card" data-status="${status}">
          <a href="${'/console/sagas' + query({ status })}"
            ><span
              class="count"
              ${estimate ? html`title="estimated from PostgreSQL's statistics, not counted"` : ''}
              >${estimate ? '≈ ' : ''}${total.toLocaleString('en')}</span
            >${statusBadge(status)}</a
          >
          <ul>
            ${ofStatus.map(
              (c) =>
                html`<li>
                  <a href="${'/console/sagas' + query({ status, type: c.type })}">${c.type}</a>:
                  ${c.count.toLocaleString('en')}
                </li>`,
            )}
          </ul>
        </div>`;
      })}
    </div>
    ${
      estimated.length > 0 &&
      html`<p class="muted">
        ≈ estimated from PostgreSQL's statistics, as these statuses only grow; every other status is
        counted.
      </p>`
    }`;
}

export function overviewPage({ counts, oldestRunning, troubledParticipants }: OverviewInput): Html {
  const oldest = oldestRunning.map(
    (s) =>
      html`<tr>
        <td>
          <a href="${path`/console/sagas/${s.id}`}"><code>${s.id}</code></a>
        </td>
        <td>${s.type} v${s.version}</td>
        <td>${relativeTime(s.createdAt)}</td>
        <td>${waitingFor(s)}</td>
      </tr>`,
  );
  const participants = troubledParticipants.map(
    (p) =>
      html`<tr>
        <td>${p.name}</td>
        <td>${statusBadge(p.breaker.state)}</td>
        <td>${p.breaker.consecutiveFailures}</td>
        <td>${relativeTime(p.breaker.openedAt)}</td>
        <td>${p.queued}</td>
      </tr>`,
  );
  return live(
    'overview-live',
    '/console',
    html`<h1>Overview</h1>
      <section aria-labelledby="counts">
        <h2 id="counts">Sagas by status and type</h2>
        ${countCards(counts)}
      </section>
      <section aria-labelledby="oldest">
        <h2 id="oldest">Oldest running sagas</h2>
        ${
          oldest.length > 0
            ? dataTable(['Saga', 'Type', 'Started', 'Waiting for'], oldest)
            : html`<p class="muted">No saga is running.</p>`
        }
      </section>
      <section aria-labelledby="breakers">
        <h2 id="breakers">Participants with an open breaker</h2>
        ${
          participants.length > 0
            ? dataTable(
                ['Participant', 'Breaker', 'Consecutive failures', 'Opened', 'Queued'],
                participants,
              )
            : html`<p class="muted">Every breaker is closed.</p>`
        }
      </section>`,
  );
}
