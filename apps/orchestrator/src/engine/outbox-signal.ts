import { Injectable } from '@nestjs/common';

/** In-process wake-up for the relay after a commit that queued outbox rows (NOTIFY covers other instances). */
@Injectable()
export class OutboxSignal {
  private readonly listeners = new Set<() => void>();

  onSignal(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  signal(): void {
    for (const listener of this.listeners) listener();
  }
}
