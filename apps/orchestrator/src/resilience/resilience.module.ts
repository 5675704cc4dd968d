// Flow control per participant: the breakers the engine feeds, fail-fast before a decision is
// written, the gauges /metrics reads.
import { Module } from '@nestjs/common';
import { FailFast } from './fail-fast';
import { ParticipantBreakers } from './participant-breakers.service';
import { ParticipantGauges } from './participant-gauges';

@Module({
  providers: [ParticipantBreakers, FailFast, ParticipantGauges],
  exports: [ParticipantBreakers, FailFast],
})
export class ResilienceModule {}
