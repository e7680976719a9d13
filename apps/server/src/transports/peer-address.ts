/**
 * A socket's peer address, read without leaving Node's cache of it on the socket.
 *
 * `socket.remoteAddress` asks the kernel (getpeername) once and keeps the answer on the
 * socket (`_peername`: an object of address, family and port, 56 bytes in a heap snapshot)
 * for as long as the connection lives, though the address loopchat needs is kept already
 * (the Connection's remoteAddress, the session's ip). Read again, it is asked of the kernel
 * again; once the socket is closed there is no one to ask and it reads undefined, so what
 * runs at or after close takes the address from the session, never the socket.
 */
import type { Socket } from 'node:net';

export function peerAddress(socket: Socket): string | undefined {
  const address = socket.remoteAddress;
  (socket as Socket & { _peername?: unknown })._peername = undefined;
  return address;
}
