import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { expect, inject, test } from 'vitest';
import { clusterServerDir } from '../../scripts/temporal-server';

test('the scenarios in this suite run on the real Temporal server, on PostgreSQL, not on the dev server', async () => {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  try {
    const info = await connection.workflowService.getClusterInfo({});
    expect(info).toMatchObject({ persistenceStore: 'postgres12', visibilityStore: expect.stringContaining('postgres12') });
    expect(`v${info.serverVersion}`).toBe(readFileSync(join(clusterServerDir, 'VERSION'), 'utf8').trim());
  } finally {
    await connection.close();
  }
});
