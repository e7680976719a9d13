import { createServer } from 'node:net';

/**
 * Picks a free port for `port: 0` before forking. Workers cannot each listen on 0: the
 * cluster keys shared listeners by address and port, so the TCP and HTTP listeners of one
 * worker would collide on the same key. (A port freed here could be taken before a worker
 * binds it; startup then fails loudly rather than silently.)
 */
export async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
