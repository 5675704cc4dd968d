import type { BulkItemRecord, BulkJobRecord } from '@skald/persistence';
import type { BulkItemDto, BulkJobDto } from './dto/bulk.dto';

const iso = (ms: number | null) => (ms === null ? undefined : new Date(ms).toISOString());

/** The bulk job resource of docs/rest-api.md (Bulk actions). */
export function bulkJobResource(job: BulkJobRecord): BulkJobDto {
  return {
    id: job.id,
    action: job.action,
    status: job.status,
    filter: job.filter,
    ...(job.reason === null ? {} : { reason: job.reason }),
    ...(job.actor === null ? {} : { actor: job.actor }),
    total: job.total,
    done: job.succeeded + job.failed,
    succeeded: job.succeeded,
    failed: job.failed,
    createdAt: new Date(job.createdAt).toISOString(),
    endedAt: iso(job.endedAt),
  };
}

export function bulkItemResource(item: BulkItemRecord): BulkItemDto {
  return {
    sagaId: item.sagaId,
    outcome: item.outcome ?? 'pending',
    ...(item.error === null ? {} : { error: item.error }),
    endedAt: iso(item.endedAt),
  };
}
