import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { peerAddress } from '../../src/transports/peer-address.js';

describe('peerAddress', () => {
  it("gives the peer's address and leaves no cached copy of it on the socket, which still answers remoteAddress", async () => {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const accepted = once(server, 'connection') as Promise<[Socket]>;
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    const [socket] = await accepted;

    expect(peerAddress(socket)).toBe('127.0.0.1');
    expect((socket as Socket & { _peername?: unknown })._peername).toBeUndefined();
    expect(socket.remoteAddress).toBe('127.0.0.1');

    client.destroy();
    socket.destroy();
    server.close();
  });
});
