/** A local server could not be started; the message says what is missing and what to do instead. */
export class LocalStackError extends Error {
  override readonly name = 'LocalStackError';
  readonly code = 'LOCAL_STACK';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
