// The reply consumer: replies from Kafka to the saga engine or the 2PC coordinator; its lag gauge.
import { Module } from '@nestjs/common';
import { EngineModule } from '../engine/engine.module';
import { TwoPhaseModule } from '../two-phase/two-phase.module';
import { ReplyConsumer } from './reply-consumer.service';
import { ReplyLagGauge } from './reply-lag-gauge';

@Module({
  imports: [EngineModule, TwoPhaseModule],
  providers: [ReplyConsumer, ReplyLagGauge],
})
export class RepliesModule {}
