/** What a round's claim statement returned. */
export interface RoundClaim {
  /** Records claimed (the round holds their sagas until it commits). */
  records: number;
  /** A participant's claim reached its limit: there may be more to send now. */
  full: boolean;
}

/**
 * One relay round: claims a batch, reports it to `claimed` as soon as its claim statement returned
 * (before it waits on Kafka), publishes, records what Kafka acknowledged, commits.
 */
export type RelayRound = (claimed: (claim: RoundClaim) => void) => Promise<void>;

/**
 * Lets relay rounds overlap, at most `limit` at once: a new round starts while the others wait on
 * Kafka, when the last claim came back full or more work was signalled. Only one round claims at
 * a time (the next claim sees what the last one left), and a round starts only when there may be
 * work, so an idle relay issues nothing and a busy one never waits on an interval.
 * Per-saga order holds however rounds overlap: a claim skips the sagas another round holds
 * (advisory lock per saga). What such a claim skipped may still be queued when the round that held
 * it commits, so a round that claimed records and ends after another claim ran alongside it asks
 * for one more round (a round that claimed nothing asks for none: rounds with no work die out).
 */
export class OverlappingRounds {
  private active = 0;
  private claiming = false;
  /** There may be claimable work no round has looked at since. */
  private wanted = false;
  /** Claims started so far, to tell whether one ran alongside a round. */
  private claims = 0;
  private failure: { error: unknown } | undefined;
  private settle: { resolve: () => void; reject: (error: unknown) => void } | undefined;

  constructor(
    private readonly limit: number,
    private readonly round: RelayRound,
  ) {}

  /**
   * Runs rounds until none is wanted and all have ended (WakeableLoop's step: more work wakes it
   * again); rejects with the first round's failure once the others have ended.
   */
  run(): Promise<boolean> {
    this.wanted = true;
    this.failure = undefined;
    return new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
      this.next();
    }).then(() => false);
  }

  /** More work was signalled. True when running rounds take it; false: wake the loop instead. */
  signal(): boolean {
    if (!this.settle) return false;
    this.wanted = true;
    this.next();
    return true;
  }

  /** Starts a round if one is wanted and may start; settles run() once the last round ended. */
  private next(): void {
    const canStart = !this.claiming && this.active < this.limit && !this.failure;
    if (this.wanted && canStart) this.start();
    else if (this.active === 0 && this.settle) {
      const { resolve, reject } = this.settle;
      this.settle = undefined;
      if (this.failure) reject(this.failure.error);
      else resolve();
    }
  }

  private start(): void {
    this.wanted = false;
    this.claiming = true;
    this.active++;
    const claimsBefore = ++this.claims;
    let claim: RoundClaim | undefined;
    const endClaim = (claimed: RoundClaim) => {
      if (claim) return;
      claim = claimed;
      this.claiming = false;
      if (claimed.full) this.wanted = true;
      this.next();
    };
    this.round(endClaim)
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => {
        endClaim({ records: 0, full: false });
        this.active--;
        // another round claimed while this one held its sagas: what it skipped may be queued
        if ((claim?.records ?? 0) > 0 && this.claims > claimsBefore) this.wanted = true;
        this.next();
      });
  }
}
