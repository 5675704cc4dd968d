// Console errors as pages: a clear message with the status, never a stack trace; no session
// sends the browser to the sign-in page (htmx requests via HX-Redirect).
import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { describeError } from '../api/error.filter';
import { ConsoleForbidden, ConsoleSignInRequired } from './console-auth';
import { page } from './views/layout';
import { errorPage } from './views/other-pages';

@Catch()
export class ConsoleErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('console');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    if (error instanceof ConsoleSignInRequired) {
      if (req.headers['hx-request'])
        res.setHeader('HX-Redirect', '/console/login').status(204).end();
      else res.redirect(303, '/console/login');
      return;
    }
    const { status, message } =
      error instanceof ConsoleForbidden
        ? { status: 403, message: error.message }
        : describeError(error);
    if (status >= 500)
      this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    // a saga's or a transaction's own page (or the participants) is the way back from a failed action
    const back = /^\/console\/(sagas|transactions)\/[^/]+\//.test(req.path)
      ? req.path.split('/').slice(0, 4).join('/')
      : req.path.startsWith('/console/participants/')
        ? '/console/participants'
        : undefined;
    res
      .status(status)
      .type('html')
      .send(page({ title: `${status}`, body: errorPage(status, message, back) }).text);
  }
}
