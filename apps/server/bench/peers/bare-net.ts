/**
 * The floor: a node:net server that accepts connections and does nothing with them.
 * Whatever RSS a connection costs here, every Node TCP server pays.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';

const server = createServer(onConnection);

function onConnection(socket: Socket): void {
  socket.on('error', ignore);
}

function ignore(): void {}

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ msg: 'bare-net listening', tcp: { port } })}\n`);
});
