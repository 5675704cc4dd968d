// Read models of the orchestrator's tables (schema: migrations/). The engine writes with explicit
// SQL in saga-store.ts; these entities serve the inspection queries of the REST API.
import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { RecordedError, SagaStatus, StepState } from '@skald/saga';

@Entity({ schema: 'skald', name: 'saga_instance' })
export class SagaInstanceEntity {
  @PrimaryColumn({ type: 'uuid' }) id!: string;
  @Column({ type: 'text' }) type!: string;
  @Column({ type: 'integer' }) version!: number;
  @Column({ type: 'text' }) status!: SagaStatus;
  @Column({ type: 'jsonb' }) input!: unknown;
  @Column({ type: 'jsonb' }) data!: Record<string, unknown>;
  @Column({ type: 'integer' }) stage!: number;
  @Column({ type: 'jsonb' }) steps!: Record<string, StepState>;
  @Column({ type: 'jsonb', nullable: true }) error!: RecordedError | null;
  @Column({ name: 'deadline_at', type: 'timestamptz', nullable: true }) deadlineAt!: Date | null;
  @Column({ name: 'idempotency_key', type: 'text', nullable: true }) idempotencyKey!: string | null;
  @Column({ name: 'request_hash', type: 'text', nullable: true }) requestHash!: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true }) endedAt!: Date | null;
}

@Entity({ schema: 'skald', name: 'saga_history' })
export class SagaHistoryEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ name: 'saga_id', type: 'uuid' }) sagaId!: string;
  @Column({ type: 'text' }) type!: string;
  @Column({ type: 'text', nullable: true }) step!: string | null;
  @Column({ type: 'jsonb', nullable: true }) details!: Record<string, unknown> | null;
  @Column({ type: 'timestamptz' }) at!: Date;
}

@Entity({ schema: 'skald', name: 'step_execution' })
export class StepExecutionEntity {
  @PrimaryColumn({ name: 'command_id', type: 'uuid' }) commandId!: string;
  @Column({ name: 'saga_id', type: 'uuid' }) sagaId!: string;
  @Column({ type: 'text' }) step!: string;
  @Column({ type: 'text' }) phase!: string;
  @Column({ type: 'integer' }) attempt!: number;
  @Column({ type: 'text' }) participant!: string;
  @Column({ type: 'text' }) command!: string;
  @Column({ type: 'jsonb', nullable: true }) request!: unknown;
  @Column({ type: 'text', nullable: true }) outcome!: string | null;
  @Column({ type: 'jsonb', nullable: true }) reply!: unknown;
  @Column({ name: 'sent_at', type: 'timestamptz' }) sentAt!: Date;
  @Column({ name: 'replied_at', type: 'timestamptz', nullable: true }) repliedAt!: Date | null;
}

export const entities = [SagaInstanceEntity, SagaHistoryEntity, StepExecutionEntity];
