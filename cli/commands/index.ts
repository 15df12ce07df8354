import type { Command } from '../command';
import { alertsCommand } from './alerts';
import { codecServerCommand } from './codec-server';
import { consoleCommand } from './console';
import { abortCommand, approveCommand, cancelCommand, rejectCommand, retryCommand, skipCommand } from './decisions';
import { devCommand } from './dev';
import { drillCommand } from './drill';
import { listCommand } from './list';
import { passkeyCommand } from './passkey';
import { planCommand } from './plan';
import { readinessCommand } from './readiness';
import { resolveCommand } from './resolve';
import { resumeCommand } from './resume';
import { runbooksCommand } from './runbooks';
import { reportCommand } from './report';
import { rosterCommand } from './roster';
import { runCommand } from './run';
import { statusCommand } from './status';
import { targetsCommand } from './targets';
import { taskCommand } from './task';
import { verifyCommand } from './verify';
import { workerCommand } from './worker';
import { workersCommand } from './workers';

/** Every `lifeboat` command, in the order `lifeboat --help` lists them. */
export const commands: Command[] = [
  runbooksCommand,
  planCommand,
  runCommand,
  statusCommand,
  listCommand,
  approveCommand,
  rejectCommand,
  retryCommand,
  skipCommand,
  abortCommand,
  cancelCommand,
  resumeCommand,
  resolveCommand,
  taskCommand,
  reportCommand,
  verifyCommand,
  targetsCommand,
  drillCommand,
  readinessCommand,
  alertsCommand,
  consoleCommand,
  passkeyCommand,
  rosterCommand,
  workerCommand,
  workersCommand,
  codecServerCommand,
  devCommand,
];
