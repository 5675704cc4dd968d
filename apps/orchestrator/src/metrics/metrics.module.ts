import { Controller, Get, Global, Header, Module } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
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
  @ApiProduces('text/plain')
  @ApiOperation({ summary: 'Prometheus metrics' })
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
