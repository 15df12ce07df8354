import { ChangeResourceRecordSetsCommand, GetChangeCommand, type ResourceRecordSet, type Route53Client } from '@aws-sdk/client-route-53';
import { heartbeat } from '../shared/activity-context';
import { call, route53Error } from './client';
import { zoneIdOf } from './records';
import type { Route53Settings } from './settings';

/** Errors that mean the endpoint has no GetChange (some emulators): the change is applied, there is just no sync status. */
const noGetChange = new Set(['UnknownOperationException', 'UnknownOperation', 'NotImplemented', 'InvalidAction']);

/**
 * Submits UPSERTs in one batch, which Route 53 applies atomically (all or none), then waits until it reports the
 * change INSYNC on its authoritative servers, heartbeating while it waits. The wait is bounded by
 * `changeTimeoutSeconds`; past it the error is a plain (retryable) one, because Route 53 finishes the change anyway.
 */
export async function upsertAndWait(
  client: Route53Client,
  settings: Route53Settings,
  sets: ResourceRecordSet[],
  comment: string,
  pollMs: number,
): Promise<string> {
  const submitted = await call(settings, 'route53:ChangeResourceRecordSets', () =>
    client.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneIdOf(settings),
        ChangeBatch: { Comment: comment, Changes: sets.map((s) => ({ Action: 'UPSERT', ResourceRecordSet: s })) },
      }),
    ),
  );
  const id = submitted.ChangeInfo?.Id ?? '';
  let status = submitted.ChangeInfo?.Status ?? 'INSYNC';
  const deadline = Date.now() + settings.changeTimeoutSeconds * 1000;
  while (status !== 'INSYNC') {
    if (Date.now() >= deadline) {
      throw new Error(
        `Route 53 change ${id} is still ${status} after ${settings.changeTimeoutSeconds} s; it completes on its own, and a retry of the switch finds it done`,
      );
    }
    heartbeat({ change: id, status });
    await new Promise((r) => setTimeout(r, pollMs));
    try {
      status = (await client.send(new GetChangeCommand({ Id: id }))).ChangeInfo?.Status ?? status;
    } catch (err) {
      if (noGetChange.has((err as { name?: string }).name ?? '')) return `${id} (no GetChange at this endpoint)`;
      throw route53Error(err, settings, 'route53:GetChange');
    }
  }
  return id;
}
