import {
  CreateBucketCommand,
  DeleteObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  PutObjectLockConfigurationCommand,
  S3Client,
  GetObjectCommand,
} from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { archiveRun } from '../../lib/evidence/archive';
import { sha256Of } from '../../lib/evidence/manifest';
import { openEvidenceStore } from '../../lib/evidence/open-store';
import { EvidenceConflictError, type EvidenceStore } from '../../lib/evidence/store';
import { lifeboat, lifeboatInProcess } from '../helpers/cli';
import { archiveSignerIn, archiveTestRuns, drillEvidence, type TestArchive, type TestRuns } from '../helpers/evidence';
import { recordRuns } from '../helpers/evidence-runs';
import { connectToTestServer, type TemporalTestContext } from '../helpers/temporal';
import { motoEnv, startMoto, type Moto } from '../helpers/moto';

let moto: Moto;
let s3: S3Client;
let dir: string;
let signer: Awaited<ReturnType<typeof archiveSignerIn>>;
let ctx: TemporalTestContext;
let runs: TestRuns;
const bucket = 'lifeboat-evidence';

beforeAll(async () => {
  moto = await startMoto();
  s3 = new S3Client({
    endpoint: moto.endpoint,
    forcePathStyle: true,
    region: motoEnv.AWS_REGION,
    credentials: { accessKeyId: motoEnv.AWS_ACCESS_KEY_ID, secretAccessKey: motoEnv.AWS_SECRET_ACCESS_KEY },
  });
  // As production should have it: Object Lock in compliance mode, so no stored version can be deleted or replaced.
  await s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
  await s3.send(
    new PutObjectLockConfigurationCommand({
      Bucket: bucket,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 1 } } },
    }),
  );
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-evidence-s3-'));
  signer = await archiveSignerIn(dir);
  // evidence verify checks every decision again from the archived history: the bundles hold real runs' histories.
  ctx = await connectToTestServer('evidence-s3');
  const recorded = await recordRuns(ctx, { rosterPath: join(dir, 'roster.json'), targets: ['booking', 'loyalty'], planFrom: 'A' });
  runs = { booking: recorded['kit-exercise/booking']!, loyalty: recorded['kit-exercise/loyalty']!, plan: recorded['plan/evacuate-region/A']! };
}, 120_000);

afterAll(async () => {
  await ctx?.close();
  await moto?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The environment the CLI reads S3 from: moto's endpoint and its credentials, as an operator would set them. */
const s3Env = () => ({ LIFEBOAT_EVIDENCE_S3_ENDPOINT: moto.endpoint, ...motoEnv });
const storeAt = (prefix: string): EvidenceStore => openEvidenceStore(`s3://${bucket}/${prefix}`, s3Env());

async function archived(prefix: string): Promise<TestArchive> {
  return archiveTestRuns(storeAt(prefix), signer.signer, signer.roster, runs);
}

test('drills archived to S3 with Object Lock verify through the lifeboat command, and list reads them back in order', async () => {
  const archive = await archived('verified');
  const result = await lifeboat(['evidence', 'verify', '--all', '--store', `s3://${bucket}/verified`], s3Env());
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).toContain('checked: 6 bundle(s) in 3 chain(s)');

  const listed = await lifeboatInProcess(['evidence', 'list', '--runbook', 'kit-exercise', '--store', `s3://${bucket}/verified`, '--json'], s3Env());
  const keys = (JSON.parse(listed.stdout) as { bundles: { key: string }[] }).bundles.map((b) => b.key);
  expect(keys).toEqual([...archive.booking.map((b) => b.key), archive.other.key]);
});

test('archiving the same run to S3 twice stores nothing new; a different bundle under its key is refused', async () => {
  const archive = await archived('idempotent');
  const store = storeAt('idempotent');
  const again = drillEvidence({
    runbook: 'kit-exercise',
    target: 'loyalty',
    finishedAt: '2026-02-11T03:15:00.000Z',
    rtoSeconds: 420,
    roster: signer.roster,
    runNumber: 9,
    recorded: runs.loyalty,
  });
  expect((await archiveRun(store, again, signer.signer)).outcome).toBe('unchanged');
  const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: `idempotent/${archive.other.key}/` }));
  expect(versions.Versions).toHaveLength(Object.keys(archive.other.files).length);

  const better = { ...again, files: { ...again.files, 'report.json': String(again.files['report.json']).replace('420', '120') } };
  await expect(archiveRun(store, better, signer.signer)).rejects.toThrow(EvidenceConflictError);
});

test("Object Lock refuses to delete a stored version of a bundle's file", async () => {
  const archive = await archived('locked');
  const key = `locked/${archive.booking[0]!.key}/history.json`;
  const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
  const versionId = versions.Versions![0]!.VersionId!;
  await expect(s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }))).rejects.toThrow();
  const kept = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  expect(sha256Of(await kept.Body!.transformToByteArray())).toBe(archive.booking[0]!.manifest.files['history.json']);
});

test('in S3, a history with a changed byte and a bundle hidden from the middle of a chain are both caught and named, exit 1', async () => {
  const archive = await archived('tampered');
  const changed = archive.booking[0]!;
  const history = new Uint8Array(changed.files['history.json']!);
  history[12] = history[12]! ^ 0x01;
  // A put to the same key adds a version on top, which is what a reader gets: the bucket keeps the original underneath.
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `tampered/${changed.key}/history.json`, Body: history }));
  const hidden = archive.booking[2]!;
  // Without a version ID, a delete only adds a delete marker; Object Lock allows that, and the bundle disappears from listings.
  for (const name of Object.keys(hidden.files)) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: `tampered/${hidden.key}/${name}` }));

  const result = await lifeboatInProcess(['evidence', 'verify', '--all', '--store', `s3://${bucket}/tampered`], s3Env());
  expect(result.code).toBe(1);
  expect(result.stdout).toContain(
    `[file] ${changed.key}: history.json was changed: the manifest says ${changed.manifest.files['history.json']}, the file is ${sha256Of(history)}`,
  );
  expect(result.stdout).toContain(`[chain] broken chain of kit-exercise on booking between ${archive.booking[1]!.key} and ${archive.booking[3]!.key}`);
  expect(result.stdout).toContain('result:  2 thing(s) do not verify');
});
