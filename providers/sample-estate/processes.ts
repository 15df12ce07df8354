/**
 * Whether a process the estate or `npm start` recorded is still running, without loading the estate itself: every
 * CLI command asks it (lib/connection.ts reads the dev server's record), and the estate brings PostgreSQL's client
 * and the rest of the sample airline with it.
 */
export { isAlive } from '../../estate/processes';
