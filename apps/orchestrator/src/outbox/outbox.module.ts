// Outbox rows to Kafka: the relay, the command topics it sends to, the topics the broker refuses.
import { Module } from '@nestjs/common';
import { EngineModule } from '../engine/engine.module';
import { CommandTopics } from './command-topics.service';
import { OutboxRelay } from './outbox-relay.service';
import { TopicHolds } from './topic-holds';

@Module({
  imports: [EngineModule],
  providers: [TopicHolds, OutboxRelay, CommandTopics],
  // the API shows a held topic as the reason a step waits
  exports: [TopicHolds],
})
export class OutboxModule {}
