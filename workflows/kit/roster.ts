import { z } from 'zod';

/**
 * The on-call roster: the people who may approve gates and the groups they belong to.
 * Parsed with zod wherever it is read, so a typo in a group name is an error at load time,
 * not a gate that silently nobody can approve.
 */
export const Roster = z
  .object({
    groups: z.record(z.string().min(1), z.string().describe('what the group is for')),
    people: z
      .array(
        z.object({
          id: z.string().regex(/^[a-z][a-z0-9._-]*$/, 'use a lowercase login such as "alice"'),
          name: z.string().min(1),
          groups: z.array(z.string().min(1)).default([]),
          contact: z.string().optional(),
        }),
      )
      .min(1, 'list at least one person'),
  })
  .superRefine((roster, ctx) => {
    const seen = new Set<string>();
    roster.people.forEach((person, index) => {
      if (seen.has(person.id)) {
        ctx.addIssue({ code: 'custom', path: ['people', index, 'id'], message: `"${person.id}" is listed twice; keep one entry per person` });
      }
      seen.add(person.id);
      person.groups.forEach((group, g) => {
        if (!(group in roster.groups)) {
          ctx.addIssue({
            code: 'custom',
            path: ['people', index, 'groups', g],
            message: `unknown group "${group}"; declare it under "groups" or fix the spelling (known: ${Object.keys(roster.groups).join(', ')})`,
          });
        }
      });
    });
  });
export type Roster = z.infer<typeof Roster>;

/** Who a gate accepts: named people, members of groups, or both. */
export interface ApproverSelector {
  users?: readonly string[];
  groups?: readonly string[];
}

/**
 * Resolves a selector against the roster. Unknown names are returned apart, so a gate whose
 * policy names a group the roster lacks can say so instead of waiting for nobody.
 */
export function resolveApprovers(roster: Roster, selector: ApproverSelector): { eligible: string[]; unknown: string[] } {
  const known = new Set(roster.people.map((p) => p.id));
  const eligible = new Set<string>();
  const unknown: string[] = [];
  for (const user of selector.users ?? []) {
    if (known.has(user)) eligible.add(user);
    else unknown.push(`user ${user}`);
  }
  for (const group of selector.groups ?? []) {
    if (!(group in roster.groups)) {
      unknown.push(`group ${group}`);
      continue;
    }
    for (const person of roster.people) if (person.groups.includes(group)) eligible.add(person.id);
  }
  return { eligible: [...eligible].sort(), unknown };
}
