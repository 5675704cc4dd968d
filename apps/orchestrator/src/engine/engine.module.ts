// The saga engine, pausing (saga-pausing.service.ts), the one writer of its decisions, and the in-process signal that wakes the
// relay when it wrote outbox rows.
import { Module } from '@nestjs/common';
import { ResilienceModule } from '../resilience/resilience.module';
import { OutboxSignal } from './outbox-signal';
import { SagaEngine } from './saga-engine.service';
import { SagaPausing } from './saga-pausing.service';
import { SagaWriter } from './saga-writer';

@Module({
  imports: [ResilienceModule],
  providers: [SagaEngine, SagaPausing, SagaWriter, OutboxSignal],
  exports: [SagaEngine, SagaPausing, OutboxSignal],
})
export class EngineModule {}
