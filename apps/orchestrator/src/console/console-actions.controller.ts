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
import { CancelSagaDto, SkipCompensationDto } from '../api/dto/saga.dto';
import { SagaEngine } from '../engine/saga-engine.service';
import { ConsoleAuth } from './console-auth';
import { ConsoleErrorFilter } from './console-error.filter';
import { assertUuid, validated } from './console-input';
import { CONSOLE_CSS } from './console-styles';
import { path } from './html';
import { page } from './views/layout';
import { loginPage } from './views/other-pages';
import { SAGA_ACTIONS, type SagaAction } from './views/saga-detail';

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
    // the scope POST /v1/sagas/:id/{cancel,retry,steps/:step/skip-compensation} need
    const { name: actor } = this.auth.authorize(req, 'operate');
    assertUuid(id, 'saga');
    const reason = text(form, 'reason') || undefined;
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
        const step = text(form, 'step') ?? '';
        const body = validated(SkipCompensationDto, { reason });
        await this.engine.act(id, { kind: 'skip-compensation', step, reason: body.reason, actor });
        break;
      }
    }
    res.redirect(303, `${path`/console/sagas/${id}`}?done=${action}#timeline`);
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
