/** Named leases: a lock that a crashed holder cannot keep for longer than its lease. */
export interface LeaseState {
  acquired: boolean;
  /** Who holds it now (this caller when `acquired`). */
  holder: string;
  leaseUntil: Date;
}

export interface LeaseRepository {
  /**
   * Takes the lease for `ttlMs`, or renews it when `holder` holds it already. The lease's end
   * and whether the current one has ended are decided in the database's clock.
   */
  acquire(name: string, holder: string, ttlMs: number): Promise<LeaseState>;
  /** Gives it up, if `holder` still holds it. */
  release(name: string, holder: string): Promise<void>;
}
