/** Named leases: a lock that a crashed holder cannot keep for longer than its lease. */
export interface LeaseState {
  acquired: boolean;
  /** Who holds it now (this caller when `acquired`). */
  holder: string;
  leaseUntil: Date;
}

export interface LeaseRepository {
  /** Takes the lease, or renews it when `holder` holds it already. */
  acquire(name: string, holder: string, now: Date, leaseUntil: Date): Promise<LeaseState>;
  /** Gives it up, if `holder` still holds it. */
  release(name: string, holder: string): Promise<void>;
}
