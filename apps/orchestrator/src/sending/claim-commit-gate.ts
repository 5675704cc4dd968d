import { Injectable } from '@nestjs/common';

/**
 * Keeps a relay round's or a handoff's COMMIT out of a claim or lease statement. Such a statement
 * counts a participant's commands in flight from its snapshot, then try-locks the participant: a
 * transaction that committed its sends in between has let go of that lock, yet its commands are
 * missing from the count, and the bulkhead would be filled twice. With those statements and
 * commits taking turns, a statement either sees a commit or finds the participant still locked
 * (and skips it). Across instances the gap remains (docs/adr/010-flow-control.md).
 */
@Injectable()
export class ClaimCommitGate {
  private turn: Promise<void> = Promise.resolve();
  /** Statements run through the gate so far (claims and leases), to tell whether one ran meanwhile. */
  turns = 0;

  /** Waits for the gate, then holds it until the returned release is called. */
  async acquire(): Promise<() => void> {
    const previous = this.turn;
    let release!: () => void;
    this.turn = new Promise<void>((resolve) => (release = resolve));
    await previous;
    return release;
  }

  /** Runs `work` (a claim or lease statement) holding the gate. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    this.turns++;
    try {
      return await work();
    } finally {
      release();
    }
  }
}
