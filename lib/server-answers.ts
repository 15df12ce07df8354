import { Connection, type TLSConfig } from '@temporalio/client';

/**
 * Whether a Temporal frontend answers a call at this address within `timeoutMs`: what the dev server, the
 * self-hosted setup and the cluster tests wait for after starting a server. With `tls`, over TLS.
 */
export async function answers(address: string, options: { timeoutMs?: number; tls?: TLSConfig } = {}): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: options.timeoutMs ?? 2_000, ...(options.tls ? { tls: options.tls } : {}) });
    await connection.workflowService.getSystemInfo({});
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}
