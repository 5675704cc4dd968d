// The saga engine, pausing (saga-pausing.service.ts) and the one writer of its decisions; the
// commands they queue go by the handoff or the relay (SendingModule, exported to the features above).
import { Module } from '@nestjs/common';
import { ResilienceModule } from '../resilience/resilience.module';
import { SendingModule } from '../sending/sending.module';
import { SagaEngine } from './saga-engine.service';
import { SagaPausing } from './saga-pausing.service';
import { SagaWriter } from './saga-writer';

@Module({
  imports: [ResilienceModule, SendingModule],
  providers: [SagaEngine, SagaPausing, SagaWriter],
  exports: [SagaEngine, SagaPausing, SendingModule],
})
export class EngineModule {}
