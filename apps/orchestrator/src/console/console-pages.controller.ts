// The console's pages (GET): each one reads through the REST API's own views and rules. No
// @RequiresScope here: the API-key guard checks bearer headers, the console its own session.
import {
  Controller,
  Get,
  Header,
  NotFoundException,
  Param,
  Query,
  Req,
  Res,
  UseFilters,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ListTransactionsQueryDto } from '../api/dto/transaction.dto';
import { SagaViews } from '../api/saga-views';
import { transactionResource } from '../api/transaction-resource';
import { describeError } from '../api/error.filter';
import { DefinitionCheck } from '../definitions/definition-check.service';
import { SagaDefinitions } from '../registry/saga-definitions';
import { TwoPhaseCoordinator } from '../two-phase/two-phase-coordinator.service';
import { ConsoleAuth } from './console-auth';
import { hasScope, type Viewer } from './console-session';
import { filterOf } from './views/bulk';
import { ConsoleErrorFilter } from './console-error.filter';
import { assertUuid, problemsOf, sagaListQuery } from './console-input';
import { ConsoleReads } from './console-reads';
import type { Html } from './html';
import { page, type PageOptions } from './views/layout';
import { definitionsPage, loginPage } from './views/other-pages';
import { overviewPage } from './views/overview';
import {
  PARTICIPANT_ACTIONS,
  participantConfirmPage,
  participantsPage,
  type ParticipantAction,
} from './views/participants';
import { confirmPage, SAGA_ACTIONS, sagaActions, type SagaAction } from './views/saga-actions';
import { sagaPage } from './views/saga-detail';
import {
  resolvableOutcome,
  resolveConfirmPage,
  transactionListPage,
  transactionPage,
} from './views/transactions';
import { SAGA_LIST_PARAMS, sagaListPage, type SagaListParams } from './views/saga-list';

export const HtmlPage = () => Header('Content-Type', 'text/html; charset=utf-8');
export type RawQuery = Record<string, unknown>;

export interface RenderOptions extends Pick<PageOptions, 'title' | 'section'> {
  body: (viewer: Viewer) => Html | Promise<Html>;
}

/** A page for the request's viewer: `body` renders the content, the frame is the same everywhere. */
export async function renderPage(
  auth: ConsoleAuth,
  req: Request,
  res: Response,
  options: RenderOptions,
): Promise<string> {
  const viewer = auth.viewer(req, res);
  res.setHeader('Cache-Control', 'no-store');
  const body = await options.body(viewer);
  return page({ title: options.title, section: options.section, viewer, body }).text;
}

/** One value of a query parameter (the first, if repeated), or undefined when absent or empty. */
export const one = (q: RawQuery, name: string) => {
  const value = Array.isArray(q[name]) ? (q[name] as unknown[])[0] : q[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

/** The page of a query that did not parse, or of a read the database could not answer: the message, not a 500. */
export const readProblem = (error: unknown) => {
  const { status, message } = describeError(error);
  if (status >= 500) throw error;
  return message;
};

@ApiExcludeController()
@UseFilters(ConsoleErrorFilter)
@Controller('console')
export class ConsolePagesController {
  constructor(
    private readonly auth: ConsoleAuth,
    private readonly reads: ConsoleReads,
    private readonly views: SagaViews,
    private readonly definitions: SagaDefinitions,
    private readonly coordinator: TwoPhaseCoordinator,
    private readonly definitionCheck: DefinitionCheck,
  ) {}

  private render(req: Request, res: Response, options: RenderOptions): Promise<string> {
    return renderPage(this.auth, req, res, options);
  }

  @Get('login')
  @HtmlPage()
  login(@Res({ passthrough: true }) res: Response): string | void {
    if (this.auth.sessions.open) return res.redirect(303, '/console');
    return page({ title: 'Sign in', body: loginPage() }).text;
  }

  @Get()
  @HtmlPage()
  overview(@Req() req: Request, @Res({ passthrough: true }) res: Response) {
    return this.render(req, res, {
      title: 'Overview',
      section: '/console',
      body: async () => overviewPage(await this.reads.overview()),
    });
  }

  @Get('sagas')
  @HtmlPage()
  sagas(@Req() req: Request, @Res({ passthrough: true }) res: Response, @Query() q: RawQuery) {
    const params: SagaListParams = Object.fromEntries(
      SAGA_LIST_PARAMS.map((name) => [name, one(q, name)]),
    );
    return this.render(req, res, {
      title: 'Sagas',
      section: '/console/sagas',
      body: async (viewer) => {
        const { value, problems } = sagaListQuery(params);
        let listed: Awaited<ReturnType<SagaViews['list']>> | undefined;
        if (problems.length === 0)
          listed = await this.views
            .list({ ...value, limit: value.limit ?? 50 })
            .catch((error: unknown) => {
              problems.push(readProblem(error));
              return undefined;
            });
        if (problems.length > 0) res.status(400);
        const types = [...new Set(this.definitions.list().map((d) => d.name))].sort();
        return sagaListPage({
          params,
          types,
          page: listed,
          problems,
          url: req.originalUrl,
          // a bulk action acts on this filter, not on this page of it
          bulkFilter: listed && hasScope(viewer, 'operate') ? filterOf(value) : undefined,
        });
      },
    });
  }

  @Get('sagas/:id')
  @HtmlPage()
  saga(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @Param('id') id: string,
    @Query() q: RawQuery,
  ) {
    return this.render(req, res, {
      title: `Saga ${id}`,
      section: '/console/sagas',
      body: async (viewer) => {
        assertUuid(id, 'saga');
        const [saga, history] = await Promise.all([this.views.saga(id), this.views.history(id)]);
        const done = one(q, 'done');
        return sagaPage({
          viewer,
          saga,
          history,
          definition: this.describe(saga.type, saga.version),
          failuresOnly: one(q, 'failures') === '1',
          done: done !== undefined && done in SAGA_ACTIONS ? (done as SagaAction) : undefined,
          url: req.originalUrl,
        });
      },
    });
  }

  @Get('sagas/:id/confirm')
  @HtmlPage()
  confirm(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @Param('id') id: string,
    @Query() q: RawQuery,
  ) {
    return this.render(req, res, {
      title: 'Confirm',
      section: '/console/sagas',
      body: async (viewer) => {
        assertUuid(id, 'saga');
        const saga = await this.views.saga(id);
        const action = one(q, 'action');
        const step = one(q, 'step');
        const fits = sagaActions(saga, this.describe(saga.type, saga.version)).some(
          (a) => a.action === action && a.step === step,
        );
        if (!fits)
          throw new NotFoundException(
            `no action ${JSON.stringify(action ?? '')}${step ? ` of step ${step}` : ''} fits this saga now (it is ${saga.status})`,
          );
        return confirmPage(viewer, saga, action as SagaAction, step);
      },
    });
  }

  @Get('participants')
  @HtmlPage()
  participants(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @Query() q: RawQuery,
  ) {
    const action = one(q, 'done');
    const participant = one(q, 'participant');
    const done =
      action !== undefined && action in PARTICIPANT_ACTIONS && participant !== undefined
        ? {
            action: action as ParticipantAction,
            participant,
            count: Number(one(q, 'count') ?? 0) || 0,
          }
        : undefined;
    return this.render(req, res, {
      title: 'Participants',
      section: '/console/participants',
      body: async (viewer) =>
        participantsPage((await this.views.participants()).items, viewer, done),
    });
  }

  @Get('participants/:name/confirm')
  @HtmlPage()
  participantConfirm(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @Param('name') name: string,
    @Query() q: RawQuery,
  ) {
    const action = one(q, 'action') ?? '';
    return this.render(req, res, {
      title: 'Confirm',
      section: '/console/participants',
      body: (viewer) => {
        if (!(action in PARTICIPANT_ACTIONS))
          throw new NotFoundException(
            `no action ${JSON.stringify(action)} on a participant's sagas (there are ${Object.keys(PARTICIPANT_ACTIONS).join(', ')})`,
          );
        return participantConfirmPage(viewer, name, action as ParticipantAction);
      },
    });
  }

  @Get('transactions')
  @HtmlPage()
  transactions(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @Query() q: RawQuery,
  ) {
    const status = one(q, 'status');
    const cursor = one(q, 'cursor');
    return this.render(req, res, {
      title: '2PC',
      section: '/console/transactions',
      body: async () => {
        const { value, problems } = problemsOf(ListTransactionsQueryDto, {
          ...(status ? { status } : {}),
          ...(cursor ? { cursor } : {}),
        });
        let listed: Parameters<typeof transactionListPage>[0]['page'];
        if (problems.length === 0)
          listed = await this.coordinator.list({ ...value, limit: 50 }).then(
            (p) => ({ items: p.items.map(transactionResource), nextCursor: p.nextCursor }),
            (error: unknown) => (problems.push(readProblem(error)), undefined),
          );
        if (problems.length > 0) res.status(400);
        return transactionListPage({
          status,
          cursor,
          page: listed,
          problems,
          url: req.originalUrl,
        });
      },
    });
  }

  @Get('transactions/:id')
  @HtmlPage()
  transaction(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @Param('id') id: string,
    @Query() q: RawQuery,
  ) {
    return this.render(req, res, {
      title: `Transaction ${id}`,
      section: '/console/transactions',
      body: async (viewer) =>
        transactionPage(await this.transactionOf(id), viewer, one(q, 'done') === 'resolve'),
    });
  }

  @Get('transactions/:id/confirm')
  @HtmlPage()
  transactionConfirm(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @Param('id') id: string,
  ) {
    return this.render(req, res, {
      title: 'Confirm',
      section: '/console/transactions',
      body: async (viewer) => {
        const transaction = await this.transactionOf(id);
        const outcome = resolvableOutcome(transaction);
        if (!outcome)
          throw new NotFoundException(
            `transaction ${id} is ${transaction.status}: there is nothing to resolve`,
          );
        return resolveConfirmPage(viewer, transaction, outcome);
      },
    });
  }

  @Get('definitions')
  @HtmlPage()
  definitionList(@Req() req: Request, @Res({ passthrough: true }) res: Response) {
    return this.render(req, res, {
      title: 'Definitions',
      section: '/console/definitions',
      body: async () =>
        definitionsPage(
          this.definitions.list().map((d) => d.describe()),
          await this.definitionCheck.run(),
        ),
    });
  }

  private async transactionOf(id: string) {
    assertUuid(id, 'transaction');
    return transactionResource(await this.coordinator.get(id));
  }

  private describe(type: string, version: number) {
    try {
      return this.definitions.get(type, version).describe();
    } catch {
      return undefined; // no longer registered: the page shows the steps as recorded
    }
  }
}
