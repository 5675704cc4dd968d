// The RecordedErrors decide() writes on a step: a participant's failure or error reply, a step
// callback that threw, retries that ran out. One place so each code reads the same wherever it
// arises (forward, compensation or fence).
import type { CompiledStep } from './define-saga';
import type { RecordedError } from './types';

/** A reply's data as an object to read fields from; anything else reads as `{}`. */
export const asObject = (data: unknown): object =>
  typeof data === 'object' && data !== null ? data : {};

/** The error a `failure` or `error` reply carries, with `fallbackCode` when it names none. */
export function errorOf(data: unknown, fallbackCode: string, step: string): RecordedError {
  const body = asObject(data) as Partial<RecordedError>;
  return {
    code: typeof body.code === 'string' ? body.code : fallbackCode,
    message: typeof body.message === 'string' ? body.message : `step ${step}: ${fallbackCode}`,
    step,
    ...(body.details === undefined ? {} : { details: body.details }),
  };
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** One of the step's own callbacks (invoke, onReply, compensate) threw. */
export function callbackFailed(
  step: CompiledStep,
  code: string,
  callback: string,
  error: unknown,
): RecordedError {
  return {
    code,
    message: `step ${step.name}: ${callback} failed: ${messageOf(error)}`,
    step: step.name,
  };
}

/** `subject` (a step, or its compensation) failed on its last allowed attempt. */
export function retriesExhausted(
  subject: string,
  step: CompiledStep,
  attempts: number,
  cause: RecordedError,
): RecordedError {
  return {
    code: 'RETRIES_EXHAUSTED',
    message: `${subject} failed after ${attempts} attempt(s); last: ${cause.code}: ${cause.message}`,
    step: step.name,
    details: { lastError: cause },
  };
}
