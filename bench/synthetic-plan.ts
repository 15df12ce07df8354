import { z } from 'zod';
import { definePlan, type RecoveryPlanDefinition } from '../kit';
import { regionFailover } from '../runbooks/region-failover';
import { Region } from '../runbooks/region';

/** How deep the synthetic plans' dependency graph is: a member of level n waits for two of level n - 1. */
export const SYNTHETIC_DEPTH = 5;

/** The synthetic plan's services, `app-01` … : each a stateless service behind the bench's slow command switch. */
export function syntheticServices(size: number): string[] {
  return Array.from({ length: size }, (_, i) => `app-${String(i + 1).padStart(2, '0')}`);
}

/** A service's member name (step names are identifiers, so `app-07` is member `app07`). */
export const memberOf = (service: string): string => service.replace('-', '');

/** The plan of `size` services: `synthetic-<size>`. */
export const syntheticPlanId = (size: number): string => `synthetic-${size}`;

const SyntheticInput = z.object({ from: Region, to: Region });
type SyntheticInput = z.infer<typeof SyntheticInput>;

/**
 * A plan over `size` stateless services in {@link SYNTHETIC_DEPTH} levels of `size / depth` services each: every
 * service of a level waits for two of the level before it (its own column and the next), so the graph is as wide as
 * a level and its critical path is one member per level. Each member fails its service over with no verify window,
 * so a member's time is its switch's operations. Same gate as evacuate-region: two SRE leads and one of airline ops.
 */
export function syntheticPlan(size: number): RecoveryPlanDefinition {
  const width = size / SYNTHETIC_DEPTH;
  if (!Number.isInteger(width) || width < 2) throw new Error(`a synthetic plan has a multiple of ${SYNTHETIC_DEPTH} services, at least ${2 * SYNTHETIC_DEPTH}`);
  const services = syntheticServices(size);
  const members = Object.fromEntries(
    services.map((service, i) => {
      const level = Math.floor(i / width);
      const column = i % width;
      const before = level === 0 ? [] : [column, (column + 1) % width].map((c) => memberOf(services[(level - 1) * width + c]!));
      return [
        memberOf(service),
        {
          runbook: regionFailover,
          input: (input: SyntheticInput) => ({ service, source: input.from, target: input.to, mode: 'planned' as const, verifyWindowSeconds: 0 }),
          ...(before.length ? { after: before } : {}),
        },
      ];
    }),
  );
  return definePlan({
    id: syntheticPlanId(size),
    title: `Synthetic: fail ${size} stateless services over, ${SYNTHETIC_DEPTH} levels deep`,
    description: `The plan benchmark's load: ${size} command-provider services in ${SYNTHETIC_DEPTH} levels, each level after the one before.`,
    input: SyntheticInput,
    target: (input) => input.from,
    members,
    gate: {
      title: 'Two SRE leads and airline operations approve the synthetic plan',
      policy: {
        approvers: { groups: ['sre-leads', 'airline-ops'] },
        quorum: 3,
        requires: [
          { group: 'sre-leads', atLeast: 2 },
          { group: 'airline-ops', atLeast: 1 },
        ],
      },
    },
    objectives: { rtoSeconds: 15 * 60 },
    examples: [{ from: 'A', to: 'B' }],
  });
}
