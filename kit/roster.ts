import { z } from 'zod';
import { digestOf } from './decisions/statement';
import { Passkey, passkeyFingerprint, passkeyProblem } from './passkeys';
import { parsePublicKeyLine } from './signatures';

/**
 * Names the system writes into the audit trail for itself. No person may carry one, so a caller who claims
 * `by: "lifeboat"` can never appear as the system.
 */
export const RESERVED_ACTORS = ['lifeboat', 'drill-policy', 'temporal', 'system', 'unknown'] as const;

/**
 * The one normalisation applied to a claimed name before it is compared, exactly, with roster ids: Unicode NFKC,
 * surrounding spaces removed, lower case. `Alice`, ` alice ` and `ＡＬＩＣＥ` all claim `alice`; `alice.han` does not.
 */
export function normaliseId(name: string): string {
  return name.normalize('NFKC').trim().toLowerCase();
}

/** Group names that would shadow an Object member if a roster were read as a plain object. */
const forbiddenGroupNames = new Set(Object.getOwnPropertyNames(Object.prototype).concat(['__proto__', 'prototype', 'constructor']));

const PublicKeyLine = z
  .string()
  .max(16_384, 'a public key line is at most 16384 characters')
  .superRefine((line, ctx) => {
    const parsed = parsePublicKeyLine(line);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: `${parsed.reason}; paste the line of your .pub file, such as "ssh-ed25519 AAAA... you@laptop"` });
  });

/**
 * The on-call roster: the people who may decide, the groups they belong to, and the public keys that prove a
 * decision is theirs (OpenSSH `authorized_keys` format, one key per entry). Parsed with zod wherever it is read,
 * so a typo in a group name or a broken key is an error at load time, not a gate that silently nobody can pass.
 */
export const Roster = z
  .object({
    groups: z.record(z.string().min(1).max(64), z.string().max(500).describe('what the group is for')),
    people: z
      .array(
        z.object({
          id: z
            .string()
            .regex(/^[a-z][a-z0-9._-]{0,63}$/, 'use a lowercase login such as "alice"')
            .refine((id) => !(RESERVED_ACTORS as readonly string[]).includes(id), {
              message: `reserved for the system (${RESERVED_ACTORS.join(', ')}); choose another id`,
            }),
          name: z.string().min(1).max(200),
          groups: z.array(z.string().min(1)).default([]),
          contact: z.string().max(500).optional(),
          /** Public keys in `authorized_keys` format; without one, the person can decide nothing. */
          keys: z.array(PublicKeyLine).max(16).default([]),
          /** Passkeys (WebAuthn), each with the signed enrolment that vouches for it; absent when none. */
          passkeys: z.array(Passkey).max(8).optional(),
        }),
      )
      .min(1, 'list at least one person')
      .max(5_000),
    /** The groups whose members may accept a finding's risk instead of proving its fix (`lifeboat finding close --accept-risk`). */
    riskAcceptance: z.array(z.string().min(1).max(64)).max(16).optional(),
  })
  .superRefine((roster, ctx) => {
    for (const group of Object.keys(roster.groups)) {
      if (forbiddenGroupNames.has(group))
        ctx.addIssue({ code: 'custom', path: ['groups', group], message: `"${group}" is reserved (a name every object has); choose another group name` });
    }
    roster.riskAcceptance?.forEach((group, g) => {
      if (!Object.hasOwn(roster.groups, group))
        ctx.addIssue({ code: 'custom', path: ['riskAcceptance', g], message: `unknown group "${group}"; declare it under "groups" or fix the spelling` });
    });
    const seen = new Set<string>();
    const keyOwners = new Map<string, string>();
    roster.people.forEach((person, index) => {
      if (seen.has(person.id)) {
        ctx.addIssue({ code: 'custom', path: ['people', index, 'id'], message: `"${person.id}" is listed twice; keep one entry per person` });
      }
      seen.add(person.id);
      person.groups.forEach((group, g) => {
        if (!Object.hasOwn(roster.groups, group)) {
          ctx.addIssue({
            code: 'custom',
            path: ['people', index, 'groups', g],
            message: `unknown group "${group}"; declare it under "groups" or fix the spelling (known: ${Object.keys(roster.groups).join(', ')})`,
          });
        }
      });
      person.keys.forEach((line, k) => {
        const parsed = parsePublicKeyLine(line);
        if (!parsed.ok) return;
        const owner = keyOwners.get(parsed.key.fingerprint);
        if (owner !== undefined && owner !== person.id) {
          ctx.addIssue({
            code: 'custom',
            path: ['people', index, 'keys', k],
            message: `this key (${parsed.key.fingerprint}) is already ${owner}'s; each key proves one person`,
          });
        }
        keyOwners.set(parsed.key.fingerprint, person.id);
      });
      person.passkeys?.forEach((passkey, k) => {
        const path = ['people', index, 'passkeys', k];
        const problem = passkeyProblem(person, passkey, roster.people);
        if (problem) return ctx.addIssue({ code: 'custom', path, message: `${problem}; enrol it again with lifeboat passkey add` });
        for (const id of [`credential ${passkey.credentialId}`, passkeyFingerprint(passkey.publicKey)]) {
          const owner = keyOwners.get(id);
          if (owner !== undefined && owner !== person.id)
            ctx.addIssue({ code: 'custom', path, message: `this passkey is already ${owner}'s; each passkey proves one person` });
          keyOwners.set(id, person.id);
        }
      });
    });
  });
export type Roster = z.infer<typeof Roster>;
export type RosterPerson = Roster['people'][number];

/** Who a gate accepts: named people, members of groups, or both. */
export interface ApproverSelector {
  users?: readonly string[];
  groups?: readonly string[];
}

/** The digest an auditor compares to tell which roster decided: `sha256:` of its canonical JSON. */
export function rosterDigest(roster: Roster): string {
  return digestOf(roster);
}

/** The person a roster id names, or undefined. */
export function personOf(roster: Roster, id: string): RosterPerson | undefined {
  return roster.people.find((p) => p.id === id);
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
    if (!Object.hasOwn(roster.groups, group)) {
      unknown.push(`group ${group}`);
      continue;
    }
    for (const person of roster.people) if (person.groups.includes(group)) eligible.add(person.id);
  }
  return { eligible: [...eligible].sort(), unknown };
}
