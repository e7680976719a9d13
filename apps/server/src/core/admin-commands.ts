/**
 * What the admin API does to one process's connections. The HTTP side (http/admin.ts)
 * runs a command here directly in single-process mode; in cluster mode it asks the
 * primary to run it on every worker (the `gather` path, ipc-protocol.ts) and merges the
 * answers with mergeAdminResults, so a nick is kicked wherever it is connected.
 *
 * Commands and results cross the IPC channel as JSON: plain data only.
 */
import { ErrorCodes, type NoticeFrame, type PresenceFrame } from '@loopchat/protocol';
import type { ServerContext } from './context.js';
import { EncodedFrame } from './encoded-frame.js';
import type { Session } from './session.js';

export type AdminCommand =
  | { admin: 'connections'; limit: number }
  | { admin: 'kick'; nick: string; reason?: string }
  | { admin: 'close'; room: string; reason?: string }
  | { admin: 'notice'; text: string; room?: string };

export interface ConnectionInfo {
  /** `<pid>-<n>`: unique on the host, even across worker restarts. */
  id: string;
  /** null until hello. */
  nick: string | null;
  transport: 'tcp' | 'ws';
  /** TCP: the dialect its first line chose (json, text…), `undecided` before it; ws: json. */
  mode: string;
  remoteAddress: string;
  rooms: string[];
  /** ISO 8601. */
  connectedSince: string;
  /** Bytes the kernel has not taken yet: the backlog the outbound budget is checked against. */
  outboundBytesQueued: number;
  /** welcome.server of the process holding it (`host/wN` in cluster mode). */
  server: string;
}

export type AdminResult = { total: number; connections: ConnectionInfo[] } | { count: number };

/** Runs `command` on this process; `count` is how many connections it reached. */
export function runAdminCommand(ctx: ServerContext, command: AdminCommand): AdminResult {
  switch (command.admin) {
    case 'connections':
      return listConnections(ctx, command.limit);
    case 'kick':
      return { count: kick(ctx, command.nick, command.reason) };
    case 'close':
      return { count: closeRoom(ctx, command.room, command.reason) };
    case 'notice':
      return { count: notice(ctx, command.text, command.room) };
  }
}

/** Cluster: one result per worker → one answer (the oldest `limit` connections, counts summed). */
export function mergeAdminResults(command: AdminCommand, results: unknown[]): AdminResult {
  if (command.admin !== 'connections') {
    return { count: (results as { count: number }[]).reduce((n, r) => n + r.count, 0) };
  }
  const lists = results as { total: number; connections: ConnectionInfo[] }[];
  const connections = lists
    .flatMap((r) => r.connections)
    .sort((a, b) => a.connectedSince.localeCompare(b.connectedSince))
    .slice(0, command.limit);
  return { total: lists.reduce((n, r) => n + r.total, 0), connections };
}

function listConnections(ctx: ServerContext, limit: number): AdminResult {
  const connections: ConnectionInfo[] = [];
  let total = 0;
  for (const session of ctx.sessions) {
    if (session.isClosing) continue;
    total++;
    if (connections.length < limit) connections.push(describe(ctx, session));
  }
  return { total, connections };
}

function describe(ctx: ServerContext, session: Session): ConnectionInfo {
  return {
    id: `${process.pid}-${session.id}`,
    nick: session.nick,
    transport: session.transport,
    mode: session.mode,
    remoteAddress: session.ip,
    rooms: [...session.rooms].map((room) => room.name),
    connectedSince: new Date(session.connectedAt).toISOString(),
    outboundBytesQueued: session.outboundBytes,
    server: ctx.config.serverName,
  };
}

function kick(ctx: ServerContext, nick: string, reason: string | undefined): number {
  const session = ctx.hub.findNick(nick);
  if (session === undefined || session.isClosing) return 0;
  session.closeWithError('kicked', reason === undefined ? ErrorCodes.kicked : `kicked by an administrator: ${reason}`);
  return 1;
}

/**
 * Each member hears why (a `notice` for the room) and then that it is out: its own
 * `presence {event: "leave"}`, the frame a text-mode client already gets for its own
 * /leave. The room's seq and history stay with the bus, as for any room that empties.
 */
function closeRoom(ctx: ServerContext, name: string, reason: string | undefined): number {
  const room = ctx.hub.rooms.get(name);
  if (room === undefined) return 0;
  const text = `room ${name} was closed by an administrator${reason === undefined ? '' : `: ${reason}`}`;
  const closing = new EncodedFrame({ type: 'notice', room: name, text, ts: Date.now() } satisfies NoticeFrame);
  for (const member of room.members) {
    member.deliver(closing);
    const left: PresenceFrame = { type: 'presence', room: name, nick: member.nick!, event: 'leave' };
    member.deliver(new EncodedFrame(left));
  }
  const evicted = ctx.hub.evict(room);
  for (const member of evicted) {
    if (member.currentRoom === name) member.currentRoom = lastJoined(member);
  }
  return evicted.length;
}

/** One encoding for every recipient: to everyone with a nick, or to one room's members. */
function notice(ctx: ServerContext, text: string, roomName: string | undefined): number {
  const frame: NoticeFrame =
    roomName === undefined
      ? { type: 'notice', text, ts: Date.now() }
      : { type: 'notice', room: roomName, text, ts: Date.now() };
  const encoded = new EncodedFrame(frame);
  const recipients: Iterable<Session> = roomName === undefined ? ctx.sessions : (ctx.hub.rooms.get(roomName)?.members ?? []);
  let count = 0;
  for (const session of recipients) {
    if (session.nick === null || session.isClosing) continue;
    session.deliver(encoded);
    count++;
  }
  return count;
}

function lastJoined(session: Session): string | null {
  let last: string | null = null;
  for (const room of session.rooms) last = room.name;
  return last;
}
