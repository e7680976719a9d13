import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Two connected ends of a UNIX domain socket, in this process: what the cluster primary
 * gets from the socketpair it opens at fork (stdio slot 4), without forking.
 * Resolves `[primarySide, workerSide]`.
 */
export async function unixSocketPair(): Promise<[Socket, Socket]> {
  const dir = mkdtempSync(join(tmpdir(), 'loopchat-pair-'));
  const path = join(dir, 's');
  const server = createServer();
  try {
    server.listen(path);
    await once(server, 'listening');
    const accepted = once(server, 'connection') as Promise<[Socket]>;
    const client = connect(path);
    const [[serverSide]] = await Promise.all([accepted, once(client, 'connect')]);
    return [serverSide, client];
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
