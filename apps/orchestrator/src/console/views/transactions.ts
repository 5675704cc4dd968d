// 2PC transactions: the list, one transaction with its votes and acknowledgements, and the
// operator's resolution (POST /v1/transactions/:id/resolve) where the coordinator allows one.
import { TRANSACTION_STATUS } from '@skald/two-phase';
import type { TransactionDto } from '../../api/dto/transaction-resource.dto';
import { hasScope, type Viewer } from '../console-session';
import { html, path, query, type Html } from '../html';
import { dataTable, errorText, json, relativeTime, statusBadge } from './format';
import { csrfField, live, problem } from './layout';
import { reasonField } from './saga-actions';

/**
 * The outcome an operator may resolve the transaction with (the rules of `resolve` in
 * @skald/two-phase): its own decision once decided, abort while preparing; none once it ended.
 */
export function resolvableOutcome(t: TransactionDto): 'commit' | 'abort' | undefined {
  if (t.status === TRANSACTION_STATUS.committed || t.status === TRANSACTION_STATUS.aborted)
    return undefined;
  return t.decision ?? 'abort';
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
        ? html`${dataTable(
            ['Transaction', 'Status', 'Decision', 'Participants', 'Started'],
            rows,
            'No transactions.',
          )}
          ${next}`
        : html``,
    )}`;
}

function resolveLink(t: TransactionDto, viewer: Viewer): Html {
  const outcome = resolvableOutcome(t);
  if (!outcome || !hasScope(viewer, 'operate')) return html``;
  return html`<div class="actions" aria-label="actions">
    <a
      class="button danger"
      id="action-resolve"
      href="${path`/console/transactions/${t.id}/confirm`}"
      >Resolve (${outcome})…</a
    >
  </div>`;
}

export function transactionPage(t: TransactionDto, viewer: Viewer, resolved: boolean): Html {
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
      ${resolved && html`<div class="notice" role="status">Resolved; the resolution is below.</div>`}
      ${resolveLink(t, viewer)}
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
              ${t.resolution.outcome}${t.resolution.actor ? ` by ${t.resolution.actor}` : ''}:
              ${t.resolution.reason} (${relativeTime(t.resolution.at)})
            </dd>`
        }
      </dl>
      <h2>Votes and acknowledgements</h2>
      ${dataTable(['Participant', 'Command', 'Vote', 'Acknowledgement', 'Error', 'Payload'], rows)}`,
  );
}

/** The confirmation of a resolution: the one outcome allowed, and the required reason. */
export function resolveConfirmPage(viewer: Viewer, t: TransactionDto, outcome: 'commit' | 'abort') {
  const what =
    t.decision === undefined
      ? 'decides abort now (reason code RESOLVED_BY_OPERATOR) and sends it to every participant as usual.'
      : `ends it as ${t.decision === 'commit' ? 'committed' : 'aborted'} and sends nothing more: you vouch that the participants it names (${(t.unacknowledged ?? []).join(', ') || 'none'}) applied the decision.`;
  return html`<h1>Resolve transaction <code>${t.id}</code> with ${outcome}?</h1>
    <p>The transaction is ${statusBadge(t.status)}. Resolving it ${what}</p>
    <form class="stacked" method="post" action="${path`/console/transactions/${t.id}/resolve`}">
      ${csrfField(viewer)}
      <input type="hidden" name="outcome" value="${outcome}" />
      ${reasonField('required')}
      <div class="actions">
        <button type="submit" class="primary">Resolve</button>
        <a class="button" href="${path`/console/transactions/${t.id}`}">Back</a>
      </div>
    </form>`;
}
