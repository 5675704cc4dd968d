// Flow control per participant: the breakers the engine consults, the gauges /metrics reads.
import { Module } from '@nestjs/common';
import { ParticipantBreakers } from './participant-breakers.service';
import { ParticipantGauges } from './participant-gauges';

@Module({
  providers: [ParticipantBreakers, ParticipantGauges],
  exports: [ParticipantBreakers],
})
export class ResilienceModule {}
