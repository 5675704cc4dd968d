// Commands on their way to Kafka, for the relay and the engine's handoff alike: the sender, the
// topics the broker refuses, the gate their claims and commits take turns at, and the signal that
// wakes the relay.
import { Module } from '@nestjs/common';
import { ClaimCommitGate } from './claim-commit-gate';
import { CommandHandoff } from './command-handoff';
import { CommandSender } from './command-sender';
import { OutboxSignal } from './outbox-signal';
import { TopicHolds } from './topic-holds';

const SENDING = [ClaimCommitGate, CommandHandoff, CommandSender, OutboxSignal, TopicHolds];

@Module({ providers: SENDING, exports: SENDING })
export class SendingModule {}
