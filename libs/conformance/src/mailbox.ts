// Records the kit receives (replies, dead letters), found by one header and waited for.
import type { WireMessage } from '@skald/protocol';

/** A record as the kit received it, with where it was read. */
export interface ReceivedRecord extends WireMessage {
  partition: number;
  offset: string;
}

/** A header's text (the last value, if repeated), or undefined. */
export function headerText(record: WireMessage, name: string): string | undefined {
  const raw = record.headers?.[name];
  const last = Array.isArray(raw) ? raw[raw.length - 1] : raw;
  return last?.toString();
}

export class Mailbox {
  private readonly records: ReceivedRecord[] = [];
  private readonly waiters = new Set<() => void>();

  /** @param header the header that says which message a record belongs to, e.g. `ce_correlationid` */
  constructor(private readonly header: string) {}

  add(record: ReceivedRecord): void {
    this.records.push(record);
    for (const wake of this.waiters) wake();
  }

  /** How many records have arrived so far: pass it to `next` to wait only for later ones. */
  mark(): number {
    return this.records.length;
  }

  /** The first record with `header` = `value` that arrived after `mark`, or undefined after `timeoutMs`. */
  next(value: string, mark: number, timeoutMs: number): Promise<ReceivedRecord | undefined> {
    return new Promise((resolve) => {
      const check = () => {
        const found = this.records
          .slice(mark)
          .find((record) => headerText(record, this.header) === value);
        if (!found) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }
}
