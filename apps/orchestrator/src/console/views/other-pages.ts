// Saga definitions with the deploy-time check, the error page and the sign-in page.
import type { SagaDescription } from '@skald/saga';
import type { DefinitionCheckReport } from '../../definitions/definition-report';
import { html, query, type Html } from '../html';
import { count, dataTable, json } from './format';
import { problem } from './layout';
import { stepGraph } from './step-graph';

/** The result of GET /v1/definitions/check: would these definitions break unfinished sagas? */
function definitionCheck(report: DefinitionCheckReport): Html {
  if (report.ok)
    return html`<section class="check-ok" id="definition-check" aria-labelledby="check-title">
      <h2 id="check-title">Deploy-time check: ok</h2>
      <p>
        None of the ${count(report.unfinishedSagas, 'unfinished saga')} would break with the
        registered definitions.
      </p>
    </section>`;
  return html`<section class="attention" id="definition-check" aria-labelledby="check-title">
    <h2 id="check-title">Deploy-time check: ${count(report.problems.length, 'problem')}</h2>
    <p>
      ${report.affectedSagas} of ${count(report.unfinishedSagas, 'unfinished saga')} would break
      with the registered definitions (see docs/operations.md, definition check).
    </p>
    ${dataTable(
      ['Kind', 'Type', 'Version', 'Step', 'Sagas', 'What to do'],
      report.problems.map(
        (p) =>
          html`<tr data-problem="${p.kind}">
            <td>${p.kind}</td>
            <td>${p.type}</td>
            <td>${p.version}</td>
            <td>${p.step ?? ''}</td>
            <td>
              <a href="${'/console/sagas' + query({ type: p.type })}">${p.sagas}</a>
            </td>
            <td>${p.message}</td>
          </tr>`,
      ),
    )}
  </section>`;
}

export function definitionsPage(
  definitions: SagaDescription[],
  check: DefinitionCheckReport,
): Html {
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
    ${definitionCheck(check)}
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
