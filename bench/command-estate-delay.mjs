#!/usr/bin/env node
// The plan benchmark's slow switch: test/fixtures/command-estate.mjs (a traffic and service-mode switch over one JSON
// state file, COMMAND_ESTATE_STATE), where every operation first sleeps COMMAND_ESTATE_DELAY_MS milliseconds, as a
// user's own load balancer or config API takes its time to answer. So a synthetic plan's members take a known time.
//   { "active": "A", "regions": { "A": { "serving": "ready", "mode": "normal" }, "B": { ... } } }
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

const [capability, operation] = process.argv.slice(2);
const file = process.env.COMMAND_ESTATE_STATE;
if (!file) {
  process.stderr.write('COMMAND_ESTATE_STATE is not set: list it in passEnv\n');
  process.exit(1);
}
const delayMs = Number(process.env.COMMAND_ESTATE_DELAY_MS ?? 0);
if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
const args = JSON.parse(readFileSync(0, 'utf8') || '{}');
const state = JSON.parse(readFileSync(file, 'utf8'));
const save = () => {
  writeFileSync(`${file}.tmp`, JSON.stringify(state));
  renameSync(`${file}.tmp`, file);
};
const region = () => {
  if (!(args.region in state.regions)) {
    process.stderr.write(`no region "${args.region}"\n`);
    process.exit(2);
  }
  return state.regions[args.region];
};
const answer = (value) => process.stdout.write(JSON.stringify(value));

const traffic = {
  probe: () => answer([{ check: 'read the switch', ok: true, detail: `clients go to ${state.active}` }]),
  active: () => answer({ region: state.active, endpoint: `pool-${state.active}` }),
  health: () =>
    answer(
      Object.entries(state.regions).map(([r, s]) => ({ region: r, endpoint: `pool-${r}`, healthy: s.serving !== 'maint', status: s.serving.toUpperCase() })),
    ),
  switch: () => {
    region();
    const previous = state.active;
    state.active = args.region;
    save();
    answer({ region: args.region, previous, changed: previous !== args.region });
  },
  serving: () => answer({ state: region().serving, status: region().serving.toUpperCase() }),
  'set-serving': () => {
    region().serving = args.state;
    save();
    answer({ state: args.state, applied: true });
  },
};
const serviceMode = {
  probe: () => answer(Object.keys(state.regions).map((r) => ({ check: `region ${r} mode`, ok: true, detail: state.regions[r].mode }))),
  health: () => answer({ region: args.region, reachable: true, status: 'ok', mode: region().mode }),
  'get-mode': () => answer({ mode: region().mode }),
  'set-mode': () => {
    const previous = region().mode;
    region().mode = args.mode;
    save();
    answer({ previous, changed: previous !== args.mode });
  },
};
const handler = { traffic, 'service-mode': serviceMode }[capability]?.[operation];
if (!handler) {
  process.stderr.write(`unknown operation ${capability} ${operation}\n`);
  process.exit(64);
}
handler();
