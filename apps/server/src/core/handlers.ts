/**
 * One handler per client frame type. Each validates local state (registered? member?),
 * asks the hub (and through it the bus), and answers: an `ack`, an `error`, or the
 * response frame carrying the id. Bus answers may arrive later (cluster, Redis); a
 * session that closed meanwhile simply drops them (Session.send ignores a closing session).
 */
import { PROTOCOL_VERSION, encodeHistoryLine, type ClientFrame, type ClientFrameOf, type Id } from '@loopchat/protocol';
import type { Session } from './session.js';
import { isAdminToken, mayJoin } from './auth.js';
import { EncodedFrame } from './encoded-frame.js';
import { bump } from './stats.js';
import { roomCommandHandlers } from './handlers/room-commands.js';
import { failed } from './handlers/bus-failure.js';
import { actorOf } from './handlers/room-commands.js';

type Handler<K extends ClientFrame['type']> = (session: Session, frame: ClientFrameOf<K>) => void;

const handlers: { [K in ClientFrame['type']]: Handler<K> } = {
  hello(session, frame) {
    if (session.nick !== null) return session.sendError('already_registered', undefined, frame.id);
    // Frames pipelined behind hello (join, msg…) wait for the nick: they depend on it.
    session.holdFrames();
    session.settle(
      authorize(session, frame.token ?? session.wsToken, frame.nick).then((granted) =>
        granted ? session.ctx.hub.register(session, frame.nick) : Promise.resolve(null),
      ),
      (ok) => {
        if (ok === null) return; // unauthorized: the connection is closing
        if (!ok) session.sendError('nick_taken', `nick "${frame.nick}" is taken`, frame.id);
        else session.send(welcome(session, frame.nick, frame.id));
        session.releaseFrames();
      },
      failed(session, frame.id, () => session.releaseFrames()),
    );
  },

  join(session, frame) {
    if (!mayJoin(frame.room, session.grant)) return session.sendError('forbidden', undefined, frame.id);
    const joined = session.ctx.hub.join(session, frame.room);
    if (typeof joined === 'string') {
      const most = session.ctx.config.maxRoomsPerConnection;
      return session.sendError(
        joined,
        `you are in ${most} rooms, the most one connection may join; leave one first`,
        frame.id,
      );
    }
    // The room's own name, not this frame's copy of it: one string per room, not per member.
    session.currentRoom = session.ctx.hub.rooms.get(frame.room)?.name ?? frame.room;
    // Text mode and IRC show the member list on join, asked for once the join is stored: on
    // a bus that answers out of order (Redis) a list asked for at once could miss the joiner.
    const members = session.membersOnJoin
      ? joined.then(() => membersFrame(session, frame.room))
      : Promise.resolve(undefined);
    session.settle(
      Promise.all([joined, members, readMarker(session, frame.room, frame.id)]),
      ([seq, echo, read]) => {
        if (read === undefined) session.answer(frame.id, seq, echo);
        else session.send({ type: 'ack', id: frame.id!, seq, read, ts: Date.now() });
      },
      failed(session, frame.id),
    );
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
    const text = moderate(session, frame.text, frame.id);
    if (text === undefined) return;
    session.settle(
      session.ctx.hub.publish(session, room, text, frame.id, frame.action === true),
      (msg) => session.answer(frame.id, msg.seq, EncodedFrame.fromLine(msg.line)),
      failed(session, frame.id),
    );
  },

  dm(session, frame) {
    const text = moderate(session, frame.text, frame.id);
    if (text === undefined) return;
    session.settle(
      session.ctx.hub.dm(session, frame.to, text, frame.id),
      (dm) => {
        if (dm === undefined) session.sendError('no_such_nick', `no user "${frame.to}" is connected`, frame.id);
        else session.answer(frame.id, undefined, dm);
      },
      failed(session, frame.id),
    );
  },

  history(session, frame) {
    const room = memberRoom(session, frame.room, frame.id);
    if (room === undefined) return;
    const limit = frame.limit ?? 100;
    const query =
      frame.since !== undefined
        ? { since: frame.since, limit }
        : frame.before !== undefined
          ? { before: frame.before, limit }
          : { latest: limit };
    const hub = session.ctx.hub;
    session.settle(
      hub.history(room.name, query),
      (all) => {
        // An answer must never trip the slow-consumer budget it exists to recover from: cap
        // it by bytes and return a consecutive page (the newest end of it when paging back);
        // the client continues from its last seq.
        const budget = session.ctx.config.outboundBudgetBytes / 4;
        const lines = 'before' in query ? lastPageWithin(all, budget) : firstPageWithin(all, budget);
        session.sendEncoded(EncodedFrame.fromLine(encodeHistoryLine(room.name, lines, frame.id, hub.bus.epoch)));
      },
      failed(session, frame.id),
    );
  },

  who(session, frame) {
    session.settle(
      membersFrame(session, frame.room),
      (members) => session.send({ ...members, ...withId(frame.id) }),
      failed(session, frame.id),
    );
  },

  rooms(session, frame) {
    session.settle(
      session.ctx.hub.roomList(100),
      (rooms) => session.send({ type: 'rooms', rooms, ...withId(frame.id) }),
      failed(session, frame.id),
    );
  },

  ping(session, frame) {
    session.send(frame.id === undefined ? { type: 'pong' } : { type: 'pong', id: frame.id });
  },

  pong() {
    // Heartbeat answer: receiving it already refreshed lastInboundAt.
  },

  read(session, frame) {
    const room = memberRoom(session, frame.room, frame.id);
    if (room === undefined) return;
    session.settle(
      session.ctx.hub.markRead(session, room, frame.seq),
      () => session.answer(frame.id, undefined),
      failed(session, frame.id),
    );
  },

  typing(session, frame) {
    const room = memberRoom(session, frame.room, frame.id);
    if (room === undefined) return;
    // One within the interval is dropped without an error: it is ephemeral, and the last
    // one relayed already says the same. An id is still answered (every id is).
    session.ctx.hub.typing(session, room);
    session.answer(frame.id, undefined);
  },
  ...roomCommandHandlers,
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

/** Checks the hello token when auth is on; on failure closes with `unauthorized`. */
async function authorize(session: Session, token: string | undefined, nick: string): Promise<boolean> {
  const { auth } = session.ctx;
  // The server's admin token is a master credential: any nick, every room, operator everywhere.
  if (isAdminToken(session.ctx.config.adminToken, token)) {
    session.grant = { nick, rooms: ['*'], admin: true };
    return true;
  }
  if (auth === undefined) return true;
  const grant = await auth.verify(token, nick);
  if (typeof grant === 'string') {
    session.closeWithError('unauthorized', grant);
    return false;
  }
  session.grant = grant;
  return true;
}

/**
 * Runs the moderation filter on this process's event loop (in cluster mode: the worker
 * that holds the sender, so filtering scales with workers). Returns the text to deliver
 * (possibly masked, after a notice to the sender), or undefined after telling the sender
 * it was rejected.
 */
function moderate(session: Session, text: string, id: Id | undefined): string | undefined {
  const { filter, stats } = session.ctx;
  if (filter.level === 'off') return text;
  const started = process.hrtime.bigint();
  const verdict = filter.check(session.nick!, text, Date.now());
  stats.filterSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
  if (verdict.action === 'allow') {
    bump(stats.verdicts, 'allow');
    return text;
  }
  if (verdict.action === 'mask') {
    bump(stats.verdicts, 'mask');
    // Never a silent rewrite: the sender hears what happened to its message before its answer.
    const what = verdict.matches === 1 ? 'a listed word' : `${verdict.matches} listed words`;
    session.send({ type: 'notice', text: `moderation masked ${what} in your message (*)`, ts: Date.now() });
    return verdict.text;
  }
  bump(stats.verdicts, `reject_${verdict.reason}`);
  session.sendError('filtered', `message rejected by moderation (${verdict.reason})`, id);
  return undefined;
}

function welcome(session: Session, nick: string, id: Id | undefined) {
  const { config } = session.ctx;
  return {
    type: 'welcome' as const,
    nick,
    server: config.serverName,
    v: PROTOCOL_VERSION,
    limits: {
      maxLineBytes: config.maxLineBytes,
      maxTextLength: config.maxTextLength,
      messagesPerSecond: config.ratePerSecond,
      maxRooms: config.maxRoomsPerConnection,
    },
    epoch: session.ctx.hub.bus.epoch,
    ...withId(id),
  };
}

function withId(id: Id | undefined): { id?: Id } {
  return id === undefined ? {} : { id };
}

function memberRoom(session: Session, name: string, id: Id | undefined) {
  const room = session.ctx.hub.rooms.get(name);
  if (room === undefined || !room.members.has(session)) {
    session.sendError('not_in_room', `not in room "${name}"`, id);
    return undefined;
  }
  return room;
}

/**
 * The joiner's stored read marker, for the join `ack` of a JSON or WebSocket client that
 * gave an id (nothing else carries it). A marker that cannot be read does not fail the
 * join: the client only counts unread messages from the join on.
 */
function readMarker(session: Session, room: string, id: Id | undefined): Promise<number | undefined> {
  if (id === undefined || session.isText) return Promise.resolve(undefined);
  return session.ctx.hub.readMarker(room, session.nick!).catch(() => undefined);
}

async function membersFrame(session: Session, room: string) {
  const { hub } = session.ctx;
  const [all, roles] = await Promise.all([hub.members(room), hub.roomCommand({ op: 'ops', room, by: actorOf(session) })]);
  const nicks = all.slice(0, 1000);
  return roles.ok && roles.ops !== undefined && roles.ops.length > 0
    ? { type: 'members' as const, room, nicks, ops: roles.ops }
    : { type: 'members' as const, room, nicks };
}

function firstPageWithin(lines: Buffer[], maxBytes: number): Buffer[] {
  let bytes = 0;
  for (let i = 0; i < lines.length; i++) {
    bytes += lines[i]!.length;
    if (bytes > maxBytes) return lines.slice(0, Math.max(1, i));
  }
  return lines;
}

function lastPageWithin(lines: Buffer[], maxBytes: number): Buffer[] {
  let bytes = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    bytes += lines[i]!.length;
    if (bytes > maxBytes) return lines.slice(Math.min(i + 1, lines.length - 1));
  }
  return lines;
}

function lastJoined(session: Session): string | null {
  let last: string | null = null;
  for (const room of session.rooms) last = room.name;
  return last;
}
