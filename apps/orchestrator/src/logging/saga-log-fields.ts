// The fields that join a saga's log lines up, with each other and with its trace: every line
// about a saga passes them as its fields object (PinoLogger writes them as top-level JSON keys).
import type { SagaRecord } from '@skald/persistence';
import { parseTraceParent } from '@skald/protocol';

export interface SagaLogFields {
  sagaId: string;
  sagaType: string;
  /** The step the line is about; else the step the saga last started. */
  step?: string;
  /** The saga's trace id (absent when it has no trace). */
  traceId?: string;
}

export function sagaLogFields(
  saga: Pick<SagaRecord, 'id' | 'type' | 'steps' | 'traceParent'>,
  step: string | undefined = latestStep(saga.steps),
): SagaLogFields {
  const traceId = parseTraceParent(saga.traceParent ?? undefined)?.traceId;
  return {
    sagaId: saga.id,
    sagaType: saga.type,
    ...(step === undefined ? {} : { step }),
    ...(traceId === undefined ? {} : { traceId }),
  };
}

function latestStep(steps: SagaRecord['steps']): string | undefined {
  let latest: { name: string; at: number } | undefined;
  for (const [name, { startedAt }] of Object.entries(steps)) {
    if (startedAt !== undefined && (!latest || startedAt >= latest.at))
      latest = { name, at: startedAt };
  }
  return latest?.name;
}
