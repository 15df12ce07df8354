import { readFile } from 'node:fs/promises';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { ErrorType, Roster } from '../workflows/kit';

/** Reads and validates a roster file; the error names the file, the field and the fix. */
export async function readRoster(path: string): Promise<Roster> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new RosterError(
      `cannot read the roster ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; set --roster or LIFEBOAT_ROSTER to a roster file`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new RosterError(`the roster ${path} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = Roster.safeParse(json);
  if (!parsed.success) throw new RosterError(`the roster ${path} is invalid:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** A roster that cannot be used as it is; retrying will not fix it, editing the file will. */
export class RosterError extends Error {
  override readonly name = 'RosterError';
}

export function createRosterActivities(deps: { rosterPath: string }) {
  return {
    /** Read at each gate, so edits to the roster apply to the next gate without a restart. */
    async loadRoster(): Promise<Roster> {
      try {
        return await readRoster(deps.rosterPath);
      } catch (err) {
        if (err instanceof RosterError) throw ApplicationFailure.nonRetryable(err.message, ErrorType.RosterInvalid);
        throw err;
      }
    },
  };
}
