import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Actor, RequiresScope } from '../auth/api-key.guard';
import { BulkJobs } from '../bulk/bulk-jobs.service';
import { bulkItemResource, bulkJobResource } from './bulk-job-resource';
import {
  BulkDryRunDto,
  BulkJobDto,
  BulkJobPageDto,
  BulkJobResultsQueryDto,
  BulkJobWithResultsDto,
  BulkRequestDto,
} from './dto/bulk.dto';
import { PageQueryDto } from './dto/page-query.dto';
import { ApiErrorResponses, BODY_ERRORS, ERROR_CASES } from './error-responses';

const JobId = () =>
  new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException('id must be a UUID') });

const ONE_JOB_ERRORS = [
  ERROR_CASES.idNotUuid,
  ERROR_CASES.bulkJobNotFound,
  ERROR_CASES.databaseUnavailable,
];

@ApiTags('bulk')
@Controller('v1')
export class BulkController {
  constructor(private readonly bulk: BulkJobs) {}

  @Post('sagas/bulk')
  @RequiresScope('operate')
  @ApiOperation({
    summary:
      'Cancel, retry or resume every saga a filter matches: a dry run (200), or a background job (202)',
  })
  @ApiOkResponse({ type: BulkDryRunDto, description: 'dryRun: what it would act on' })
  @ApiAcceptedResponse({ type: BulkJobDto, description: 'the job, started' })
  @ApiErrorResponses(
    ...BODY_ERRORS,
    ERROR_CASES.bulkTooManySagas,
    ERROR_CASES.bulkTooManyJobs,
    ERROR_CASES.databaseUnavailable,
  )
  async act(
    @Body() body: BulkRequestDto,
    @Actor() actor: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<BulkDryRunDto | BulkJobDto> {
    if (body.dryRun) {
      const { count, sample } = await this.bulk.dryRun(body.filter);
      res.status(200);
      return { dryRun: true, action: body.action, count, maxSagas: this.bulk.maxSagas, sample };
    }
    const job = await this.bulk.start({ ...body, actor });
    res.status(202);
    return bulkJobResource(job);
  }

  @Get('bulk-jobs')
  @RequiresScope('read')
  @ApiOperation({ summary: 'List bulk jobs, newest first, with cursor paging' })
  @ApiOkResponse({ type: BulkJobPageDto })
  @ApiErrorResponses(
    ERROR_CASES.invalidQuery,
    ERROR_CASES.invalidCursor,
    ERROR_CASES.databaseUnavailable,
  )
  async list(@Query() query: PageQueryDto): Promise<BulkJobPageDto> {
    const page = await this.bulk.list({ ...query, limit: query.limit ?? 50 });
    return { items: page.items.map(bulkJobResource), nextCursor: page.nextCursor };
  }

  @Get('bulk-jobs/:id')
  @RequiresScope('read')
  @ApiOperation({ summary: "A bulk job's progress and its per-saga results" })
  @ApiOkResponse({ type: BulkJobWithResultsDto })
  @ApiErrorResponses(ERROR_CASES.invalidQuery, ...ONE_JOB_ERRORS)
  async get(
    @Param('id', JobId()) id: string,
    @Query() query: BulkJobResultsQueryDto,
  ): Promise<BulkJobWithResultsDto> {
    const job = await this.bulk.get(id, { outcome: query.outcome, limit: query.limit ?? 100 });
    return { ...bulkJobResource(job), results: job.results.map(bulkItemResource) };
  }

  @Post('bulk-jobs/:id/cancel')
  @RequiresScope('operate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stop a running bulk job (an action under way finishes)' })
  @ApiOkResponse({ type: BulkJobDto, description: 'stopped; the job as it is now' })
  @ApiErrorResponses(...ONE_JOB_ERRORS, ERROR_CASES.bulkJobNotRunning)
  async cancel(@Param('id', JobId()) id: string): Promise<BulkJobDto> {
    return bulkJobResource(await this.bulk.cancel(id));
  }
}
