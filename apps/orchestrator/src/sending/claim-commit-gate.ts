import { Injectable } from '@nestjs/common';

/**
 * Keeps a relay round's or a handoff's COMMIT out of a claim statement. Such a statement counts a
 * participant's commands in flight from its snapshot, then try-locks the participant: a
 * transaction that committed its sends in between has let go of that lock, yet its commands are
 * missing from the count, and the bulkhead would be filled twice. With claims and commits taking
 * turns, a claim either sees a commit or finds the participant still locked (and skips it).
 * A handoff's write statement counts too, but it may wait on row locks, so it must not hold the
 * gate (a transaction waiting here to commit may hold them): it is `watch`ed instead, and what it
 * leased while a commit was under way is given back. Across instances the gap remains
 * (docs/adr/010-flow-control.md).
 */
@Injectable()
export class ClaimCommitGate {
  private turn: Promise<void> = Promise.resolve();
  /** Claims run through the gate so far, to tell whether one ran meanwhile. */
  turns = 0;
  private commitsBegun = 0;
  private committing = 0;

  /** Waits for the gate for a COMMIT, then holds it until the returned release is called. */
  async commit(): Promise<() => void> {
    const release = await this.take();
    this.commitsBegun++;
    this.committing++;
    return () => {
      this.committing--;
      release();
    };
  }

  /** Runs `work` (a claim statement) holding the gate. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.take();
    this.turns++;
    try {
      return await work();
    } finally {
      release();
    }
  }

  /**
   * Call as a statement that counts commands in flight outside the gate is sent; the check it
   * returns, called once the statement answered, is true when a commit was under way meanwhile
   * (the statement's count may miss that commit's commands).
   */
  watch(): () => boolean {
    const begun = this.commitsBegun;
    const underWay = this.committing > 0;
    return () => underWay || this.commitsBegun !== begun;
  }

  private async take(): Promise<() => void> {
    const previous = this.turn;
    let release!: () => void;
    this.turn = new Promise<void>((resolve) => (release = resolve));
    await previous;
    return release;
  }
}
