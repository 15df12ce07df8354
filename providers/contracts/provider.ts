/** One read-only check a provider ran against its system for `lifeboat targets check`. */
export interface ProbeResult {
  /** What was checked, e.g. `reach`, `authenticate`, `read record booking.example.com`. */
  check: string;
  ok: boolean;
  /** What was seen, or why it failed, in words an operator can act on. */
  detail: string;
}

/**
 * What every provider offers besides its capability: a one-line description for plans and status
 * (`route53 (zone Z1, record booking.example.com)`), and a read-only probe. A probe never changes the system.
 */
export interface Provider {
  /** The provider's name as the targets file spells it: `haproxy`, `route53`, `postgres`, `patroni`, `http`, `command`, `sample-estate`. */
  readonly kind: string;
  describe(): string;
  probe(): Promise<ProbeResult[]>;
}

/** A region of a service, as the targets file names it (`A`, `eu-west-1`, …). */
export type RegionName = string;
