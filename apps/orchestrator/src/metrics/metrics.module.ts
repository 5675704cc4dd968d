import { Controller, Get, Global, Header, Module } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { MetricsAndDocs } from '../auth/api-key.guard';
import { SkaldMetrics } from './skald-metrics';
import { StateGauges } from './state-gauges';

export { secondsBetween, SkaldMetrics } from './skald-metrics';

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: SkaldMetrics) {}

  @Get()
  @MetricsAndDocs()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({ summary: 'Prometheus metrics' })
  // text only for the 200: a 401 or 403 is the JSON error body
  @ApiOkResponse({
    description: 'the Prometheus text format',
    content: {
      'text/plain': {
        schema: { type: 'string' },
        example:
          '# HELP skald_sagas_started_total Sagas started, by type\n# TYPE skald_sagas_started_total counter\nskald_sagas_started_total{type="book-trip"} 42\n',
      },
    },
  })
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}

@Global()
@Module({
  controllers: [MetricsController],
  providers: [SkaldMetrics, StateGauges],
  exports: [SkaldMetrics],
})
export class MetricsModule {}
