import { expect, test } from 'vitest';
import { createManualBookingActivities } from '../../activities/manual-booking';
import { createRegionSwitchActivities } from '../../activities/region-switch';
import { fixedTargetsAccess } from '../../activities/targets';
import { parseTargets } from '../../providers/targets/load';

/** A service whose regions are not the sample estate's A and B. Nothing here connects: no call below reaches a system. */
const targets = parseTargets({
  version: 1,
  services: {
    booking: {
      regions: ['eu-west-1', 'eu-central-1'],
      serviceMode: {
        provider: 'http',
        regions: { 'eu-west-1': { url: 'http://127.0.0.1:1' }, 'eu-central-1': { url: 'http://127.0.0.1:1' } },
      },
    },
  },
});
const access = fixedTargetsAccess(targets);

async function failureOf(call: () => Promise<unknown>): Promise<{ message: string; type?: string | null; nonRetryable?: boolean }> {
  const err = await call().then(
    () => undefined,
    (e: unknown) => e as { message: string; type?: string | null; nonRetryable?: boolean },
  );
  if (!err) throw new Error('not refused');
  return { message: err.message, type: err.type, nonRetryable: err.nonRetryable };
}

test('manual booking acts on a region the targets file lists, whatever its name', async () => {
  const manual = createManualBookingActivities({ access });
  expect(await manual.bookingRegionInUse({ region: 'eu-central-1' })).toEqual({ region: 'eu-central-1', how: 'given in the input' });
});

test('a region the targets file does not list ends the run at once, naming the field and the regions to use', async () => {
  const manual = createManualBookingActivities({ access });
  expect(await failureOf(() => manual.bookingRegionInUse({ region: 'C' }))).toEqual({
    message: 'region: "C" is not a region of booking in the targets file; use one of eu-west-1, eu-central-1',
    type: 'UnknownTarget',
    nonRetryable: true,
  });
  const regionSwitch = createRegionSwitchActivities(access);
  expect(await failureOf(() => regionSwitch.resolveRegions({ service: 'booking', source: 'eu-west-1', target: 'A' }))).toEqual({
    message: 'target: "A" is not a region of booking in the targets file; use one of eu-west-1, eu-central-1',
    type: 'UnknownTarget',
    nonRetryable: true,
  });
});

test('a capability the targets file lacks asks an operator, naming the section to add and the way round it', async () => {
  const manual = createManualBookingActivities({ access });
  // An isolated drill builds its scratch booking service with the sample estate; a real estate runs live drills.
  expect(await failureOf(() => manual.startScratchBooking({ key: 'drill-1', runId: 'manual-booking-mode/booking', region: 'eu-west-1' }))).toEqual({
    message:
      'service "booking" has no sampleEstate provider: isolated drills and the lost-booking counter need the sample estate ' +
      '(services.booking.sampleEstate); real estates run live drills (--drill live)',
    type: 'Precondition',
    nonRetryable: true,
  });
  const regionSwitch = createRegionSwitchActivities(access);
  expect(await failureOf(() => regionSwitch.readFencing({ service: 'booking', region: 'eu-west-1' }))).toEqual({
    message: 'service "booking" has no database provider: add services.booking.database to the targets file (see docs/adding-a-provider.md)',
    type: 'Precondition',
    nonRetryable: true,
  });
});
