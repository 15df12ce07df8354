import { describe, expect, test } from 'vitest';
import { describeFault, drawSchedule, type FaultSpace } from '../../chaos/faults';
import { drawPeopleFaults } from '../../chaos/people';
import { Random } from '../../chaos/random';

const space: FaultSpace = {
  steps: ['drain', 'fence', 'promote', 'switchTraffic'],
  processes: [
    { name: 'postgres pg/A', restartable: true },
    { name: 'booking-A', restartable: true },
    { name: 'haproxy', restartable: false },
    { name: 'crew-etcd', restartable: true },
  ],
  proxies: ['booking.database.A', 'booking.database.B', 'crew.patroni.A', 'fleet'],
  maxFaults: 3,
  touches: /booking|pg\/A|haproxy/,
};

describe('a seed replays its schedule', () => {
  test('the same seed draws the same faults and the same people, on any run', () => {
    const a = drawSchedule(new Random(4711).fork('faults'), space).map(describeFault);
    const b = drawSchedule(new Random(4711).fork('faults'), space).map(describeFault);
    expect(a).toEqual(b);
    expect(drawPeopleFaults(new Random(4711).fork('people'), { maxAbortMs: 60_000 })).toEqual(
      drawPeopleFaults(new Random(4711).fork('people'), { maxAbortMs: 60_000 }),
    );
  });

  test('other seeds draw other schedules', () => {
    const schedules = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((seed) => drawSchedule(new Random(seed).fork('faults'), space).map(describeFault).join('; ')));
    expect(schedules.size).toBeGreaterThan(6);
  });

  test('drawing the people does not shift the faults: each concern has its own stream', () => {
    const rng = new Random(99);
    drawPeopleFaults(rng.fork('people'), { maxAbortMs: 60_000 });
    expect(drawSchedule(rng.fork('faults'), space).map(describeFault)).toEqual(drawSchedule(new Random(99).fork('faults'), space).map(describeFault));
  });
});

describe('what a schedule holds', () => {
  const many = Array.from({ length: 400 }, (_, seed) => drawSchedule(new Random(seed).fork('faults'), space)).flat();

  test('never more faults than allowed, and every kind is drawn', () => {
    for (let seed = 0; seed < 100; seed++) expect(drawSchedule(new Random(seed), space).length).toBeLessThanOrEqual(3);
    expect(new Set(many.map((f) => f.fault.kind))).toEqual(
      new Set(['worker-kill', 'worker-join', 'server-kill', 'estate-kill', 'estate-pause', 'network', 'link-down']),
    );
  });

  test('a process whose state lives only in memory is paused, never killed', () => {
    const killed = many.flatMap((f) => (f.fault.kind === 'estate-kill' ? [f.fault.process] : []));
    expect(killed.length).toBeGreaterThan(0);
    expect(killed).not.toContain('haproxy');
  });

  test('most faults hit what the run acts on', () => {
    const targets = many.flatMap((f) => ('process' in f.fault ? [f.fault.process] : 'proxy' in f.fault ? [f.fault.proxy] : []));
    const near = targets.filter((t) => space.touches.test(t)).length;
    expect(near / targets.length).toBeGreaterThan(0.7);
  });

  test('faults land inside steps, inside undos, in a carry-over and at times after the start, and each reads as a sentence', () => {
    expect(many.some((f) => 'step' in f.at && space.steps.includes(f.at.step))).toBe(true);
    expect(many.some((f) => 'undoing' in f.at)).toBe(true);
    expect(many.some((f) => 'afterMs' in f.at)).toBe(true);
    expect(many.some((f) => 'carryOver' in f.at)).toBe(true);
    const kill = many.find((f) => f.fault.kind === 'worker-kill' && 'step' in f.at)!;
    expect(describeFault(kill)).toMatch(/^\d+ ms into (drain|fence|promote|switchTraffic): SIGKILL the worker, restart it after \d+ ms$/);
  });
});
