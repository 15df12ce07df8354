import { z } from 'zod';

export const HostRole = z.enum(['kiosk', 'gate', 'booking']);
export type HostRole = z.infer<typeof HostRole>;

export const HostHealth = z.enum(['healthy', 'crashed', 'unreachable']);
export type HostHealth = z.infer<typeof HostHealth>;

/** The vendor update channel of a host: `open` takes every content update, `pinned` stays on one version, `blocked` takes none. */
export const ChannelState = z.enum(['open', 'pinned', 'blocked']);
export type ChannelState = z.infer<typeof ChannelState>;

/** Which hosts an operation touches; all given fields must match (an empty selector is the whole fleet). */
export const HostSelector = z.object({
  ids: z.array(z.string()).optional(),
  region: z.enum(['A', 'B']).optional(),
  role: HostRole.optional(),
  tag: z.string().optional(),
  health: HostHealth.optional(),
  /** A scratch fleet's id: only its hosts match. Without it only production hosts match (explicit `ids` aside). */
  fleet: z.string().optional(),
});
export type HostSelector = z.infer<typeof HostSelector>;

export const HostCounters = z.object({ rollbacks: z.number(), reboots: z.number(), quarantines: z.number(), repairs: z.number() });
export type HostCounters = z.infer<typeof HostCounters>;

/** A host as the console shows it. */
export const Host = z.object({
  id: z.string(),
  region: z.enum(['A', 'B']),
  role: HostRole,
  tags: z.array(z.string()),
  health: HostHealth,
  /** Cannot be fixed remotely (BitLocker recovery key, no remote console): stays broken until a person repairs it. */
  handsOnOnly: z.boolean(),
  agent: z.object({
    version: z.string(),
    contentVersion: z.string(),
    lastKnownGood: z.string(),
    channel: ChannelState,
    pinnedVersion: z.string().optional(),
    moduleQuarantined: z.boolean(),
  }),
  counters: HostCounters,
  /** Set on the hosts of a scratch fleet (its id); production hosts have none. */
  fleet: z.string().optional(),
});
export type Host = z.infer<typeof Host>;

/** Mutations name their hosts by id list or selector, and may carry a request id so a retry is answered, not re-applied. */
const targeted = { hostIds: z.array(z.string()).optional(), scope: HostSelector.optional(), requestId: z.string().max(300).optional() };

export const ChannelChange = z.object({ scope: HostSelector.default({}), state: ChannelState, version: z.string().optional(), requestId: targeted.requestId });
export type ChannelChange = z.infer<typeof ChannelChange>;

export const ContentUpdate = z.object({
  version: z.string().min(1),
  faulty: z.boolean().default(false),
  crashRate: z.number().min(0).max(1).default(0.3),
  scope: HostSelector.default({}),
  requestId: targeted.requestId,
});
export type ContentUpdate = z.infer<typeof ContentUpdate>;

export const HostAction = z.object({ ...targeted, version: z.string().optional(), by: z.string().optional() });
export type HostAction = z.infer<typeof HostAction>;

export const ActionOutcome = z.enum(['applied', 'no-op', 'refused', 'not-found']);
export type ActionOutcome = z.infer<typeof ActionOutcome>;

export const HostResult = z.object({ hostId: z.string(), outcome: ActionOutcome, health: HostHealth.optional(), reason: z.string().optional() });
export type HostResult = z.infer<typeof HostResult>;

export const ActionResponse = z.object({
  action: z.string(),
  requestId: z.string().optional(),
  replayed: z.boolean(),
  counts: z.record(ActionOutcome, z.number()),
  results: z.array(HostResult),
});
export type ActionResponse = z.infer<typeof ActionResponse>;

/**
 * A scratch fleet for an isolated drill: copies of the production hosts a scope selects (region, role, tags,
 * hands-on only, agent), fresh and healthy on their last known-good content, in a namespace of their own.
 */
export const ScratchFleetRequest = z.object({
  copyOf: z.object({ region: z.enum(['A', 'B']).optional(), role: HostRole.optional(), tags: z.array(z.string()).default([]) }).prefault({}),
  /** Copies at most this many hosts (the first in listing order). */
  maxHosts: z.number().int().positive().optional(),
  /** Who or what the fleet is for, e.g. the drill's run id. */
  label: z.string().max(300).optional(),
  requestId: targeted.requestId,
});
export type ScratchFleetRequest = z.infer<typeof ScratchFleetRequest>;

/** A scratch fleet as the console shows it. */
export const ScratchFleet = z.object({
  id: z.string(),
  label: z.string().optional(),
  createdAt: z.string(),
  hosts: z.number(),
  byRole: z.record(z.string(), z.number()),
  replayed: z.boolean(),
});
export type ScratchFleet = z.infer<typeof ScratchFleet>;

/** What removing a scratch fleet did; removing one that is already gone is a no-op. */
export const ScratchFleetRemoval = z.object({ id: z.string(), removed: z.boolean(), hosts: z.number() });
export type ScratchFleetRemoval = z.infer<typeof ScratchFleetRemoval>;
