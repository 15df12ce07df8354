import { expect, test } from 'vitest';
import { commands } from '../../cli/commands';

// `lifeboat --help` lists the table's summaries without loading any command; each command's own `--help` prints the
// summary its module holds. They must say the same.
test("each command the table lists is the command it loads, with the same summary as that command's --help", async () => {
  for (const entry of commands) {
    const command = await entry.load();
    expect({ name: command.name, summary: command.summary }).toEqual({ name: entry.name, summary: entry.summary });
  }
  expect(new Set(commands.map((c) => c.name)).size).toBe(commands.length);
});
