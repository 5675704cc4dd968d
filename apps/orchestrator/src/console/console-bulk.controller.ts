// Bulk actions on the saga list's filter: the dry run (GET /console/bulk), starting the job
// (POST, the call POST /v1/sagas/bulk makes, scope operate) and its progress page.
import {
  BadRequestException,
  Body,
  Controller,
  Get,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseFilters,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { bulkItemResource, bulkJobResource } from '../api/bulk-job-resource';
import { BulkRequestDto } from '../api/dto/bulk.dto';
import { SagaFilterDto } from '../api/dto/saga.dto';
import { BULK_ACTIONS, type BulkAction } from '../bulk/bulk-actions';
import { BulkJobs } from '../bulk/bulk-jobs.service';
import { ConsoleAuth } from './console-auth';
import { ConsoleErrorFilter } from './console-error.filter';
import { assertUuid, sagaListQuery, validated } from './console-input';
import { HtmlPage, one, renderPage, type RawQuery } from './console-pages.controller';
import { path } from './html';
import { bulkConfirmPage, bulkJobPage, filterOf } from './views/bulk';
import { SAGA_LIST_PARAMS, type SagaListParams } from './views/saga-list';

@ApiExcludeController()
@UseFilters(ConsoleErrorFilter)
@Controller('console')
export class ConsoleBulkController {
  constructor(
    private readonly auth: ConsoleAuth,
    private readonly bulk: BulkJobs,
  ) {}

  @Get('bulk')
  @HtmlPage()
  dryRun(@Req() req: Request, @Res({ passthrough: true }) res: Response, @Query() q: RawQuery) {
    return renderPage(this.auth, req, res, {
      title: 'Bulk action',
      section: '/console/sagas',
      body: async (viewer) => {
        const action = one(q, 'action') ?? '';
        if (!(BULK_ACTIONS as readonly string[]).includes(action))
          throw new BadRequestException(`action must be one of ${BULK_ACTIONS.join(', ')}`);
        // the list's own parameters (age included), or the resolved ones a form carries
        const params: SagaListParams = Object.fromEntries(
          SAGA_LIST_PARAMS.map((name) => [name, one(q, name)]),
        );
        const { value, problems } = sagaListQuery(params);
        if (problems.length > 0) throw new BadRequestException(problems.join('; '));
        const filter = filterOf(
          validated(SagaFilterDto, {
            ...filterOf(value),
            ...filterOf({
              createdBefore: one(q, 'createdBefore'),
              createdAfter: one(q, 'createdAfter'),
            }),
          }),
        );
        return bulkConfirmPage({
          viewer,
          action: action as BulkAction,
          filter,
          dryRun: await this.bulk.dryRun(filter),
          maxSagas: this.bulk.maxSagas,
        });
      },
    });
  }

  @Post('bulk')
  async start(
    @Req() req: Request,
    @Res() res: Response,
    @Body() form: Record<string, unknown>,
  ): Promise<void> {
    // the scope of POST /v1/sagas/bulk
    const { name: actor } = this.auth.authorize(req, 'operate');
    const reason = typeof form.reason === 'string' && form.reason !== '' ? form.reason : undefined;
    const body = validated(BulkRequestDto, { action: form.action, filter: filterOf(form), reason });
    const job = await this.bulk.start({
      action: body.action,
      filter: body.filter,
      reason: body.reason,
      actor,
    });
    res.redirect(303, path`/console/bulk-jobs/${job.id}`);
  }

  @Get('bulk-jobs/:id')
  @HtmlPage()
  job(@Req() req: Request, @Res({ passthrough: true }) res: Response, @Param('id') id: string) {
    return renderPage(this.auth, req, res, {
      title: 'Bulk job',
      section: '/console/sagas',
      body: async () => {
        assertUuid(id, 'bulk job');
        const job = await this.bulk.get(id, { outcome: 'failed', limit: 100 });
        return bulkJobPage(bulkJobResource(job), job.results.map(bulkItemResource));
      },
    });
  }
}
