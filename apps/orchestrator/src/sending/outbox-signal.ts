import { Injectable } from '@nestjs/common';

/**
 * In-process wake-up for the relay after a commit that queued outbox rows (NOTIFY covers other
 * instances), and what the relay last found, so a commit that queued nothing the relay must send
 * (its commands went by the handoff) wakes it only when work may be waiting for room.
 */
@Injectable()
export class OutboxSignal {
  private readonly listeners = new Set<() => void>();
  /** Relay rounds running now (kept by the relay). */
  roundsRunning = 0;
  /**
   * The relay's last claim found commands queued, which a released slot or token may now let go
   * (true until its first claim).
   */
  workQueued = true;

  onSignal(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  signal(): void {
    for (const listener of this.listeners) listener();
  }
}
