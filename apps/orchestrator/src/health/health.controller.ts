import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { KafkaAdmin } from '../kafka/kafka-admin';

const CHECK_TIMEOUT_MS = 3_000;

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly postgres: TypeOrmHealthIndicator,
    private readonly kafka: KafkaAdmin,
  ) {}

  @Get()
  @HealthCheck()
  @ApiOperation({
    summary: 'PostgreSQL and Kafka reachability: 200 when both are up, 503 otherwise',
  })
  check() {
    return this.health.check([
      () => this.postgres.pingCheck('postgres').withTimeout(CHECK_TIMEOUT_MS),
      () =>
        this.indicators
          .check('kafka')
          .attempt(() => this.kafka.describeCluster())
          .withTimeout(CHECK_TIMEOUT_MS),
    ]);
  }
}
