/** What one item of a group came to: its result, or the error that item alone ran into. */
export type ItemOutcome<Out> = { ok: Out } | { error: unknown };

/**
 * Group commit: requests arriving while a batch is being written wait and go together in the
 * next one, so N concurrent callers share one transaction (one WAL flush) instead of queuing for
 * N. Nothing waits when the writer is idle: a lone request goes at once.
 */
export class GroupCommit<In, Out> {
  private queue: { input: In; resolve: (out: Out) => void; reject: (error: unknown) => void }[] =
    [];
  private writing = false;

  constructor(
    private readonly write: (inputs: In[]) => Promise<ItemOutcome<Out>[]>,
    private readonly maxBatch: number,
  ) {}

  submit(input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const outcomes = await this.write(batch.map((b) => b.input));
          outcomes.forEach((o, i) =>
            'ok' in o ? batch[i].resolve(o.ok) : batch[i].reject(o.error),
          );
        } catch (error) {
          // the transaction failed as a whole (e.g. the database is down): every caller hears it
          for (const b of batch) b.reject(error);
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
