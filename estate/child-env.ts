/**
 * The environment the estate's processes start with. The estate stands in for another company's systems, and
 * whoever starts it (npm start, a test's worker) may hold Temporal's credentials or webhook URLs: PostgreSQL,
 * HAProxy and the estate's own servers need none of them, so they get the system's variables and nothing else.
 * Every connection setting they need (host, port, user, data directory) is on their command line.
 */

/** What a process needs to find its binaries, its home and its locale, and to read its clock in the right zone. */
const passed = new Set(['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'TMPDIR', 'LANG', 'LANGUAGE', 'TZ']);

/** The system variables of `from` (this process's environment by default), then `extra`. */
export function estateChildEnv(extra: Record<string, string | undefined> = {}, from: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(from)) {
    if (value !== undefined && (passed.has(name) || name.startsWith('LC_'))) env[name] = value;
  }
  for (const [name, value] of Object.entries(extra)) {
    if (value !== undefined) env[name] = value;
  }
  return env;
}
