// Participants, 2PC transactions and saga definitions.
import type { SagaDescription } from '@skald/saga';
import { TRANSACTION_STATUS } from '@skald/two-phase';
import type { TransactionDto } from '../../api/dto/transaction-resource.dto';
import type { SagaViews } from '../../api/saga-views';
import { html, path, query, type Html } from '../html';
import { count, errorText, json, relativeTime, statusBadge } from './format';
import { live, problem } from './layout';
import { stepGraph } from './step-graph';

type Participants = Awaited<ReturnType<SagaViews['participants']>>['items'];

export function participantsPage(participants: Participants): Html {
  // Opening and closing a breaker by hand (issue #19) joins this table as a column of buttons.
  const rows = participants.map(
    (p) =>
      html`<tr data-participant="${p.name}">
        <td>${p.name}</td>
        <td>${statusBadge(p.breaker.state)}</td>
        <td>${p.breaker.consecutiveFailures}</td>
        <td>${relativeTime(p.breaker.openedAt)}</td>
        <td>${p.inFlight} of ${p.maxInFlight}</td>
        <td>${p.queued}</td>
        <td>
          ${p.held ? html`topic held: ${p.held.error} (next attempt ${relativeTime(p.held.nextAttemptAt)})` : ''}
        </td>
      </tr>`,
  );
  return live(
    'participants-live',
    '/console/participants',
    html`<h1>Participants</h1>
      ${
        rows.length > 0
          ? html`<table>
              <thead>
                <tr>
                  <th>Participant</th>
                  <th>Breaker</th>
                  <th>Consecutive failures</th>
                  <th>Breaker opened</th>
                  <th>In flight</th>
                  <th>Queued</th>
                  <th>Held</th>
                </tr>
              </thead>
              <tbody>
                ${rows}
              </tbody>
            </table>`
          : html`<p class="muted">No command has been sent to any participant yet.</p>`
      }`,
  );
}

export interface TransactionListInput {
  status?: string;
  cursor?: string;
  page?: { items: TransactionDto[]; nextCursor?: string | null };
  problems: string[];
  url: string;
}

export function transactionListPage({ status, page, problems, url }: TransactionListInput): Html {
  const rows = (page?.items ?? []).map(
    (t) =>
      html`<tr>
        <td>
          <a href="${path`/console/transactions/${t.id}`}"><code>${t.id}</code></a>
        </td>
        <td>${statusBadge(t.status)}</td>
        <td>${t.decision ?? ''}</td>
        <td>${t.participants.map((p) => p.participant).join(', ')}</td>
        <td>${relativeTime(t.createdAt)}</td>
      </tr>`,
  );
  const next =
    page?.nextCursor &&
    html`<p class="pager">
      <a href="${'/console/transactions' + query({ status, cursor: page.nextCursor })}"
        >Next page →</a
      >
    </p>`;
  return html`<h1>2PC transactions</h1>
    <form class="filters" method="get" action="/console/transactions" role="search">
      <label
        >Status<select name="status">
          <option value="">any</option>
          ${Object.values(TRANSACTION_STATUS).map(
            (s) => html`<option ${s === status ? html`selected` : ''}>${s}</option>`,
          )}
        </select></label
      ><button type="submit" class="primary">Filter</button>
    </form>
    ${problems.map(problem)}
    ${live(
      'transactions-live',
      url,
      page
        ? html`<table>
              <thead>
                <tr>
                  <th>Transaction</th>
                  <th>Status</th>
                  <th>Decision</th>
                  <th>Participants</th>
                  <th>Started</th>
                </tr>
              </thead>
              <tbody>
                ${
                  rows.length > 0
                    ? rows
                    : html`<tr>
                        <td colspan="5" class="muted">No transactions.</td>
                      </tr>`
                }
              </tbody>
            </table>
            ${next}`
        : html``,
    )}`;
}

export function transactionPage(t: TransactionDto): Html {
  const rows = t.participants.map(
    (p) =>
      html`<tr>
        <td>${p.participant}</td>
        <td>${p.command}</td>
        <td>${p.vote ?? html`<span class="muted">no vote yet</span>`}</td>
        <td>${p.acknowledged ? 'acknowledged' : 'not acknowledged'}</td>
        <td>${p.error ? errorText(p.error) : ''}</td>
        <td>${json(p.payload)}</td>
      </tr>`,
  );
  return live(
    'transaction-live',
    path`/console/transactions/${t.id}`,
    html`<h1>Transaction <code>${t.id}</code> ${statusBadge(t.status)}</h1>
      <dl class="facts">
        <dt>Status</dt>
        <dd>${t.status}</dd>
        <dt>Decision</dt>
        <dd>${t.decision ?? 'not decided'}${t.reason ? ` (${t.reason})` : ''}</dd>
        <dt>Started</dt>
        <dd>${relativeTime(t.createdAt)}</dd>
        <dt>Prepare deadline</dt>
        <dd>${relativeTime(t.prepareDeadlineAt)}</dd>
        ${
          t.decidedAt &&
          html`<dt>Decided</dt>
            <dd>${relativeTime(t.decidedAt)}</dd>`
        }
        ${
          t.endedAt &&
          html`<dt>Ended</dt>
            <dd>${relativeTime(t.endedAt)}</dd>`
        }
        ${
          t.unacknowledged &&
          html`<dt>Unacknowledged</dt>
            <dd>${t.unacknowledged.join(', ') || 'none'}</dd>`
        }
        ${
          t.resolution &&
          html`<dt>Resolved by an operator</dt>
            <dd>
              ${t.resolution.outcome}: ${t.resolution.reason} (${relativeTime(t.resolution.at)})
            </dd>`
        }
      </dl>
      <h2>Votes and acknowledgements</h2>
      <table>
        <thead>
          <tr>
            <th>Participant</th>
            <th>Command</th>
            <th>Vote</th>
            <th>Acknowledgement</th>
            <th>Error</th>
            <th>Payload</th>
          </tr>
        </thead>
        <tbody>
          ${rows}
        </tbody>
      </table>`,
  );
}

export function definitionsPage(definitions: SagaDescription[]): Html {
  const sections = definitions.map(
    (d) =>
      html`<section
        id="${`${d.type}-v${d.version}`}"
        aria-labelledby="${`${d.type}-v${d.version}-title`}"
      >
        <h2 id="${`${d.type}-v${d.version}-title`}">${d.type} v${d.version}</h2>
        ${d.description && html`<p>${d.description}</p>`}
        <p class="muted">
          ${count(d.steps.length, 'step')}${d.deadlineMs ? `, deadline ${d.deadlineMs} ms` : ''}.
          <a href="${'/console/sagas' + query({ type: d.type })}">Sagas of this type</a>
        </p>
        ${stepGraph(d)}
        ${
          d.inputSchema &&
          html`<details>
            <summary>Input schema</summary>
            ${json(d.inputSchema)}
          </details>`
        }
      </section>`,
  );
  return html`<h1>Definitions</h1>
    ${sections.length > 0 ? sections : html`<p class="muted">No saga type is registered.</p>`}`;
}

export const errorPage = (status: number, message: string, back?: string) =>
  html`<h1>
      ${status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : status >= 500 ? 'Something went wrong' : 'Bad request'}
    </h1>
    ${problem(message)}
    <p><a href="${back ?? '/console'}">${back ? 'Back' : 'Back to the overview'}</a></p>`;

export function loginPage(problemText?: string): Html {
  return html`<h1>Sign in to the Skald console</h1>
    ${problemText && problem(problemText)}
    <form class="stacked" method="post" action="/console/login">
      <label
        >API key (the secret of an SKALD_API_KEYS entry with the read scope)
        <input type="password" name="key" required autocomplete="current-password" autofocus
      /></label>
      <div><button type="submit" class="primary">Sign in</button></div>
    </form>
    <p class="muted">
      The key is sent once; the console keeps an HTTP-only session cookie naming the key, never the
      key itself.
    </p>`;
}
