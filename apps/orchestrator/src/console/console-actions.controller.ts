// The console's POSTs (sign-in, sign-out, operator actions) and its two static files. Every
// action checks the session's CSRF token and the scope again here: buttons are not the guard.
import {
  Body,
  Controller,
  Get,
  Header,
  NotFoundException,
  Param,
  Post,
  Req,
  Res,
  UseFilters,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { SetBreakerDto } from '../api/dto/participant.dto';
import { PauseSagaDto, SkipStepDto } from '../api/dto/pause.dto';
import { ManualBreakers } from '../api/manual-breakers';
import { CancelSagaDto, SkipCompensationDto } from '../api/dto/saga.dto';
import { ResolveTransactionDto } from '../api/dto/transaction.dto';
import { SagaEngine } from '../engine/saga-engine.service';
import { SagaPausing } from '../engine/saga-pausing.service';
import { TwoPhaseCoordinator } from '../two-phase/two-phase-coordinator.service';
import { ConsoleAuth } from './console-auth';
import { ConsoleErrorFilter } from './console-error.filter';
import { assertUuid, validated } from './console-input';
import { CONSOLE_CSS } from './console-styles';
import { path, query } from './html';
import { page } from './views/layout';
import { loginPage } from './views/other-pages';
import { PARTICIPANT_ACTIONS, type ParticipantAction } from './views/participants';
import { SAGA_ACTIONS, type SagaAction } from './views/saga-actions';

/** Resolved from the package, so it works wherever npm installed htmx.org (no copy, no build step). */
const HTMX_PATH = require.resolve('htmx.org/dist/htmx.min.js');
const STATIC_CACHE = 'public, max-age=3600';

type Form = Record<string, unknown>;
const text = (form: Form, name: string) =>
  typeof form[name] === 'string' ? (form[name] as string) : undefined;

@ApiExcludeController()
@UseFilters(ConsoleErrorFilter)
@Controller('console')
export class ConsoleActionsController {
  constructor(
    private readonly auth: ConsoleAuth,
    private readonly engine: SagaEngine,
    private readonly pausing: SagaPausing,
    private readonly breakers: ManualBreakers,
    private readonly coordinator: TwoPhaseCoordinator,
  ) {}

  @Post('login')
  login(@Req() req: Request, @Res() res: Response, @Body() form: Form): void {
    const cookie = this.auth.sessions.open
      ? this.auth.sessions.openCookie()
      : this.auth.sessions.signIn(text(form, 'key') ?? '');
    if (!cookie) {
      res
        .status(401)
        .type('html')
        .send(
          page({
            title: 'Sign in',
            body: loginPage('Unknown API key, or one without the read scope.'),
          }).text,
        );
      return;
    }
    this.auth.setCookie(req, res, cookie);
    res.redirect(303, '/console');
  }

  @Post('logout')
  logout(@Req() req: Request, @Res() res: Response): void {
    this.auth.authorize(req, 'read');
    this.auth.clearCookie(res);
    res.redirect(303, '/console/login');
  }

  @Post('sagas/:id/:action')
  async act(
    @Req() req: Request,
    @Res() res: Response,
    @Param('id') id: string,
    @Param('action') action: string,
    @Body() form: Form,
  ): Promise<void> {
    if (!(action in SAGA_ACTIONS))
      throw new NotFoundException(`the console has no saga action ${JSON.stringify(action)}`);
    // the scope of the matching REST route (POST /v1/sagas/:id/cancel, /retry, /pause, ...)
    const { name: actor } = this.auth.authorize(req, 'operate');
    assertUuid(id, 'saga');
    const reason = text(form, 'reason') || undefined;
    const step = text(form, 'step') ?? '';
    // each branch is the call its REST route makes, with the body checked by the route's DTO
    switch (action as SagaAction) {
      case 'cancel':
        await this.engine.act(id, {
          kind: 'cancel',
          reason: validated(CancelSagaDto, { reason }).reason,
          actor,
        });
        break;
      case 'retry':
        await this.engine.act(id, { kind: 'resume', actor });
        break;
      case 'skip-compensation': {
        const body = validated(SkipCompensationDto, { reason });
        await this.engine.act(id, { kind: 'skip-compensation', step, reason: body.reason, actor });
        break;
      }
      case 'pause':
        await this.pausing.pause(id, validated(PauseSagaDto, { reason }).reason, actor);
        break;
      case 'resume':
        await this.pausing.resume(id, actor);
        break;
      case 'skip-step':
        await this.pausing.skipStep(id, step, validated(SkipStepDto, { reason }).reason, actor);
        break;
    }
    res.redirect(303, `${path`/console/sagas/${id}`}?done=${action}#timeline`);
  }

  @Post('participants/:name/:action')
  async actOnParticipant(
    @Req() req: Request,
    @Res() res: Response,
    @Param('name') name: string,
    @Param('action') action: string,
    @Body() form: Form,
  ): Promise<void> {
    if (!(action in PARTICIPANT_ACTIONS))
      throw new NotFoundException(
        `the console has no participant action ${JSON.stringify(action)}`,
      );
    // the scope of POST /v1/participants/:name/breaker | pause-sagas | resume-sagas
    const { name: actor } = this.auth.authorize(req, 'operate');
    const reason = text(form, 'reason') || undefined;
    let count: number | undefined;
    switch (action as ParticipantAction) {
      case 'open-breaker':
      case 'close-breaker': {
        const state = action === 'open-breaker' ? 'open' : 'closed';
        const body = validated(SetBreakerDto, { state, reason });
        await this.breakers.set(name, { state: body.state, reason: body.reason, actor });
        break;
      }
      case 'pause-sagas':
        count = await this.pausing.pauseSagasOf(
          name,
          validated(PauseSagaDto, { reason }).reason,
          actor,
        );
        break;
      case 'resume-sagas':
        count = await this.pausing.resumeSagasOf(name, actor);
        break;
    }
    res.redirect(303, '/console/participants' + query({ done: action, participant: name, count }));
  }

  @Post('transactions/:id/resolve')
  async resolve(
    @Req() req: Request,
    @Res() res: Response,
    @Param('id') id: string,
    @Body() form: Form,
  ): Promise<void> {
    // the scope of POST /v1/transactions/:id/resolve
    const { name: actor } = this.auth.authorize(req, 'operate');
    assertUuid(id, 'transaction');
    const body = validated(ResolveTransactionDto, {
      outcome: text(form, 'outcome'),
      reason: text(form, 'reason') || undefined,
    });
    await this.coordinator.resolve(id, { outcome: body.outcome, reason: body.reason, actor });
    res.redirect(303, `${path`/console/transactions/${id}`}?done=resolve`);
  }

  @Get('static/htmx.min.js')
  @Header('Cache-Control', STATIC_CACHE)
  htmx(@Res() res: Response): void {
    res.type('application/javascript').sendFile(HTMX_PATH);
  }

  @Get('static/console.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('Cache-Control', STATIC_CACHE)
  css(): string {
    return CONSOLE_CSS;
  }

  /** Last of the console's routes: any other path under /console is a 404 page, not JSON. */
  @Get('*path')
  unknown(@Req() req: Request): never {
    throw new NotFoundException(`the console has no page ${req.path}`);
  }
}
