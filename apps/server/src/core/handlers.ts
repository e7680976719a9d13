/**
 * One handler per client frame type. Each validates state (registered? member?), calls
 * the hub, and answers: an `ack`, an `error`, or the response frame carrying the id.
 */
import { PROTOCOL_VERSION, type ClientFrame, type ClientFrameOf, type MsgFrame } from '@loopchat/protocol';
import type { Session } from './session.js';

type Handler<K extends ClientFrame['type']> = (session: Session, frame: ClientFrameOf<K>) => void;

const handlers: { [K in ClientFrame['type']]: Handler<K> } = {
  hello(session, frame) {
    if (session.nick !== null) return session.sendError('already_registered', undefined, frame.id);
    if (!session.ctx.hub.claimNick(session, frame.nick)) {
      return session.sendError('nick_taken', `nick "${frame.nick}" is taken`, frame.id);
    }
    session.nick = frame.nick;
    const { config } = session.ctx;
    session.send({
      type: 'welcome',
      nick: frame.nick,
      server: config.serverName,
      v: PROTOCOL_VERSION,
      limits: {
        maxLineBytes: config.maxLineBytes,
        maxTextLength: config.maxTextLength,
        messagesPerSecond: config.ratePerSecond,
        maxRooms: config.maxRoomsPerConnection,
      },
      ...(frame.id === undefined ? {} : { id: frame.id }),
    });
  },

  join(session, frame) {
    const room = session.ctx.hub.join(session, frame.room);
    if (typeof room === 'string') return session.sendError(room, undefined, frame.id);
    session.currentRoom = room.name;
    session.answer(frame.id, room.seq, session.isText ? membersOf(room.name, session) : undefined);
  },

  leave(session, frame) {
    const room = memberRoom(session, frame.room, frame.id);
    if (room === undefined) return;
    session.ctx.hub.leave(session, room);
    if (session.currentRoom === room.name) session.currentRoom = lastJoined(session);
    session.answer(frame.id, undefined, { type: 'presence', room: room.name, nick: session.nick!, event: 'leave' });
  },

  msg(session, frame) {
    const room = memberRoom(session, frame.room, frame.id);
    if (room === undefined) return;
    const encoded = session.ctx.hub.publish(session, room, frame.text, frame.id);
    session.answer(frame.id, room.seq, encoded);
  },

  dm(session, frame) {
    const dm = session.ctx.hub.dm(session, frame.to, frame.text, frame.id);
    if (dm === undefined) return session.sendError('no_such_nick', `no user "${frame.to}" is connected`, frame.id);
    session.answer(frame.id, undefined, dm);
  },

  history(session, frame) {
    const room = memberRoom(session, frame.room, frame.id);
    if (room === undefined) return;
    const limit = frame.limit ?? 100;
    let messages = frame.since === undefined ? room.history.latest(limit) : room.history.since(frame.since, limit);
    // An answer must never trip the slow-consumer budget it exists to recover from: cap it
    // by bytes and return a consecutive page; the client continues from its last seq.
    messages = firstPageWithin(messages, session.ctx.config.outboundBudgetBytes / 4);
    session.send({ type: 'history', room: room.name, messages, ...(frame.id === undefined ? {} : { id: frame.id }) });
  },

  who(session, frame) {
    session.send({ ...membersOf(frame.room, session), ...(frame.id === undefined ? {} : { id: frame.id }) });
  },

  rooms(session, frame) {
    const rooms = [...session.ctx.hub.rooms.values()]
      .filter((r) => r.members.size > 0)
      .sort((a, b) => b.members.size - a.members.size)
      .slice(0, 100)
      .map((r) => ({ room: r.name, members: r.members.size }));
    session.send({ type: 'rooms', rooms, ...(frame.id === undefined ? {} : { id: frame.id }) });
  },

  ping(session, frame) {
    session.send(frame.id === undefined ? { type: 'pong' } : { type: 'pong', id: frame.id });
  },

  pong() {
    // Heartbeat answer: receiving it already refreshed lastInboundAt.
  },
};

/** Frames a connection may send before `hello`. */
const BEFORE_HELLO = new Set<ClientFrame['type']>(['hello', 'ping', 'pong']);

export function dispatch(session: Session, frame: ClientFrame): void {
  if (session.nick === null && !BEFORE_HELLO.has(frame.type)) {
    const hint = session.isText ? 'choose a nick first: /nick NAME' : 'send hello first';
    return session.sendError('not_registered', hint, 'id' in frame ? frame.id : undefined);
  }
  (handlers[frame.type] as Handler<typeof frame.type>)(session, frame as never);
}

function memberRoom(session: Session, name: string, id: ClientFrameOf<'msg'>['id']) {
  const room = session.ctx.hub.rooms.get(name);
  if (room === undefined || !room.members.has(session)) {
    session.sendError('not_in_room', `not in room "${name}"`, id);
    return undefined;
  }
  return room;
}

function membersOf(name: string, session: Session) {
  const room = session.ctx.hub.rooms.get(name);
  const nicks = room === undefined ? [] : [...room.members].map((m) => m.nick!).slice(0, 1000);
  return { type: 'members' as const, room: name, nicks };
}

function firstPageWithin(messages: MsgFrame[], maxBytes: number): MsgFrame[] {
  let bytes = 0;
  for (let i = 0; i < messages.length; i++) {
    bytes += Buffer.byteLength(JSON.stringify(messages[i])) + 1;
    if (bytes > maxBytes) return messages.slice(0, Math.max(1, i));
  }
  return messages;
}

function lastJoined(session: Session): string | null {
  let last: string | null = null;
  for (const room of session.rooms) last = room.name;
  return last;
}
