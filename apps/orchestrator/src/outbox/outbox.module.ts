// Outbox rows to Kafka: the relay and the command topics it sends to (the topics the broker
// refuses come with EngineModule's SendingModule).
import { Module } from '@nestjs/common';
import { EngineModule } from '../engine/engine.module';
import { CommandTopics } from './command-topics.service';
import { OutboxRelay } from './outbox-relay.service';

@Module({
  imports: [EngineModule],
  providers: [OutboxRelay, CommandTopics],
})
export class OutboxModule {}
