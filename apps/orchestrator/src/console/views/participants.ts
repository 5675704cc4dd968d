// The participants: breaker, bulkhead and outbox per participant, and the operator's actions on
// all the sagas waiting on one (POST /v1/participants/:name/pause-sagas | resume-sagas).
import type { SagaViews } from '../../api/saga-views';
import { hasScope, type Viewer } from '../console-session';
import { html, path, query, type Html } from '../html';
import { count, relativeTime, statusBadge } from './format';
import { csrfField, live } from './layout';
import { reasonField } from './saga-actions';

type Participant = Awaited<ReturnType<SagaViews['participants']>>['items'][number];

/** The actions on a participant's sagas, as the console names them in URLs. */
export const PARTICIPANT_ACTIONS = {
  'pause-sagas': {
    label: 'Pause its sagas',
    reason: 'required',
    what: 'pauses every running saga waiting on it (a command of theirs to it is out, retried or asked about), one by one as a saga\u2019s Pause does.',
    done: (n: number, name: string) => `Paused ${count(n, 'saga')} waiting on ${name}`,
  },
  'resume-sagas': {
    label: 'Resume its sagas',
    reason: 'none',
    what: 'resumes every paused saga whose latest pause names it (paused with "Pause its sagas", or by the exhausted retries of a step at it).',
    done: (n: number, name: string) => `Resumed ${count(n, 'saga')} paused on ${name}`,
  },
} as const;
export type ParticipantAction = keyof typeof PARTICIPANT_ACTIONS;

/** What an action just did, from the redirect's query: `?done=pause-sagas&participant=x&count=3`. */
export interface ParticipantActionDone {
  action: ParticipantAction;
  participant: string;
  count: number;
}

function actionLinks(p: Participant, viewer: Viewer): Html {
  if (!hasScope(viewer, 'operate')) return html``;
  return html`<div class="actions">
    ${(Object.keys(PARTICIPANT_ACTIONS) as ParticipantAction[]).map(
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
        <td>${actionLinks(p, viewer)}</td>
      </tr>`,
  );
  const notice =
    done &&
    html`<div class="notice" role="status">
      ${PARTICIPANT_ACTIONS[done.action].done(done.count, done.participant)}; each saga's timeline
      shows it.
    </div>`;
  return html`<h1>Participants</h1>
    ${notice}
    ${live(
      'participants-live',
      '/console/participants',
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
                <th>Its sagas</th>
              </tr>
            </thead>
            <tbody>
              ${rows}
            </tbody>
          </table>`
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
