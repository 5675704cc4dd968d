// The participants: breaker, limits and outbox per participant, and the operator's actions on one
// (POST /v1/participants/:name/breaker, /pause-sagas, /resume-sagas).
import type { SagaViews } from '../../api/saga-views';
import { hasScope, type Viewer } from '../console-session';
import { html, path, query, type Html } from '../html';
import { count, dataTable, relativeTime, statusBadge } from './format';
import { csrfField, live } from './layout';
import { reasonField } from './saga-actions';

type Participant = Awaited<ReturnType<SagaViews['participants']>>['items'][number];

/** The limits it runs with (its own or the global ones): rates, and when its breaker trips. */
const limitsText = (limits: Participant['limits']) =>
  html`<span class="meta"
    >${limits.ratePerSecond === null ? 'no rate limit' : `≤ ${limits.ratePerSecond} commands/s`}, ≤
    ${limits.retriesPerSecond} retries/s; breaker opens after
    ${count(limits.breaker.failureThreshold, 'failure')} for ${limits.breaker.openMs} ms
    (${limits.breaker.mode}); ${limits.source === 'participant' ? 'its own' : 'global'} limits</span
  >`;

/** The actions on a participant, as the console names them in URLs. */
export const PARTICIPANT_ACTIONS = {
  'open-breaker': {
    label: 'Open breaker',
    reason: 'required',
    what: 'stops sending it commands: they wait in the outbox (or fail fast, as its breaker mode says) until you close it; no timeout or reply closes a breaker opened by hand.',
    done: (name: string) => `The breaker of ${name} is open, by hand`,
  },
  'close-breaker': {
    label: 'Close breaker',
    reason: 'required',
    what: 'sends it commands again and forgets the failures counted; from then on it trips and recovers on its own.',
    done: (name: string) => `The breaker of ${name} is closed`,
  },
  'pause-sagas': {
    label: 'Pause its sagas',
    reason: 'required',
    what: 'pauses every running saga waiting on it (a command of theirs to it is out, retried or asked about), one by one as a saga\u2019s Pause does.',
    done: (name: string, n: number) => `Paused ${count(n, 'saga')} waiting on ${name}`,
  },
  'resume-sagas': {
    label: 'Resume its sagas',
    reason: 'none',
    what: 'resumes every paused saga whose latest pause names it (paused with "Pause its sagas", or by the exhausted retries of a step at it).',
    done: (name: string, n: number) => `Resumed ${count(n, 'saga')} paused on ${name}`,
  },
} as const;
export type ParticipantAction = keyof typeof PARTICIPANT_ACTIONS;

/** What an action just did, from the redirect's query: `?done=pause-sagas&participant=x&count=3`. */
export interface ParticipantActionDone {
  action: ParticipantAction;
  participant: string;
  count: number;
}

/** The actions that fit the participant now: its breaker's, and those on its sagas. */
function participantActions(p: Participant): ParticipantAction[] {
  return [
    ...(p.breaker.manual?.state === 'open' ? [] : (['open-breaker'] as const)),
    ...(p.breaker.state === 'closed' ? [] : (['close-breaker'] as const)),
    'pause-sagas',
    'resume-sagas',
  ];
}

function actionLinks(p: Participant, viewer: Viewer): Html {
  if (!hasScope(viewer, 'operate')) return html``;
  return html`<div class="actions">
    ${participantActions(p).map(
      (action) =>
        html`<a
          class="button"
          id="${`${action}-${p.name}`}"
          href="${path`/console/participants/${p.name}/confirm` + query({ action })}"
          >${PARTICIPANT_ACTIONS[action].label}…</a
        >`,
    )}
  </div>`;
}

export function participantsPage(
  participants: Participant[],
  viewer: Viewer,
  done?: ParticipantActionDone,
): Html {
  const rows = participants.map(
    (p) =>
      html`<tr data-participant="${p.name}">
        <td>${p.name}</td>
        <td>
          ${statusBadge(p.breaker.state)}
          ${
            p.breaker.manual &&
            html`<div class="meta" data-field="manual">
              ${p.breaker.manual.state === 'open' ? 'opened' : 'closed'} by hand by
              ${p.breaker.manual.actor}: ${p.breaker.manual.reason}
              (${relativeTime(p.breaker.manual.at)})
            </div>`
          }
        </td>
        <td>${p.breaker.consecutiveFailures} of ${p.limits.breaker.failureThreshold}</td>
        <td>${relativeTime(p.breaker.openedAt)}</td>
        <td>${p.inFlight} of ${p.maxInFlight}</td>
        <td>${limitsText(p.limits)}</td>
        <td>${p.queued}</td>
        <td>
          ${p.held ? html`topic held: ${p.held.error} (next attempt ${relativeTime(p.held.nextAttemptAt)})` : ''}
        </td>
        <td>${actionLinks(p, viewer)}</td>
      </tr>`,
  );
  const notice =
    done &&
    html`<div class="notice" role="status">
      ${PARTICIPANT_ACTIONS[done.action].done(done.participant, done.count)}.
    </div>`;
  return html`<h1>Participants</h1>
    ${notice}
    ${live(
      'participants-live',
      '/console/participants',
      rows.length > 0
        ? dataTable(
            [
              'Participant',
              'Breaker',
              'Consecutive failures',
              'Breaker opened',
              'In flight',
              'Limits',
              'Queued',
              'Held',
              'Actions',
            ],
            rows,
          )
        : html`<p class="muted">No command has been sent to any participant yet.</p>`,
    )}`;
}

export function participantConfirmPage(
  viewer: Viewer,
  participant: string,
  action: ParticipantAction,
): Html {
  const { label, reason, what } = PARTICIPANT_ACTIONS[action];
  return html`<h1>${label}: <code>${participant}</code>?</h1>
    <p>${label} ${what}</p>
    <form
      class="stacked"
      method="post"
      action="${path`/console/participants/${participant}/${action}`}"
    >
      ${csrfField(viewer)} ${reasonField(reason)}
      <div class="actions">
        <button type="submit" class="primary">${label}</button>
        <a class="button" href="/console/participants">Back</a>
      </div>
    </form>`;
}
