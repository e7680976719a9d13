/**
 * Handlers for the room commands of issue 16: nick change, topic, and the operators'
 * commands. Each builds a RoomCommand with the actor the server knows (its registered nick,
 * its admin flag) and hands it to the hub, which asks wherever the room's state lives; the
 * answer is an `ack` (text mode: `* ok`), the topic, or the refusal's error code.
 */
import type { ClientFrameOf, ErrorCode, Id } from '@loopchat/protocol';
import type { Actor, RoomCommand, RoomCommandOutcome } from '../../bus/room-commands.js';
import type { Session } from '../session.js';
import { failed } from './bus-failure.js';

type RoomCommandType = 'nick' | 'op' | 'deop' | 'kick' | 'ban' | 'unban' | 'mute' | 'unmute' | 'slow' | 'delete' | 'topic';

/** A nick change costs a presence in every room of the renamer: one per this interval per connection. */
export const RENAME_INTERVAL_MS = 10_000;

/** When each session last renamed (a WeakMap: nothing to clean when a session goes). */
const renamedAt = new WeakMap<Session, number>();

/** The actor the server vouches for: never a role taken from the client's frame. */
export function actorOf(session: Session): Actor {
  return { nick: session.nick!, admin: session.grant?.admin === true };
}

export const roomCommandHandlers: { [K in RoomCommandType]: (session: Session, frame: ClientFrameOf<K>) => void } = {
  nick(session, frame) {
    if (frame.nick === session.nick) return session.answer(frame.id, undefined);
    // With sign-in, the token names the nick (its `sub`): a rename would outrun the token.
    if (session.ctx.auth !== undefined && session.grant?.admin !== true) {
      return session.sendError('forbidden', 'with sign-in your nick is the one your token names', frame.id);
    }
    const now = Date.now();
    const last = renamedAt.get(session);
    if (last !== undefined && now - last < RENAME_INTERVAL_MS) {
      return session.sendError('rate_limited', `one nick change per ${RENAME_INTERVAL_MS / 1000} s`, frame.id);
    }
    renamedAt.set(session, now);
    // Frames pipelined behind the rename wait for it, as behind hello: a message written after
    // `/nick bo` is bo's, and a command after it acts as bo (the rename is a bus round trip).
    session.holdFrames();
    const failedThenRelease = failed(session, frame.id, () => session.releaseFrames());
    // And it starts once the frames before it are answered (an answer slot of its own, settled
    // at once): a message written before it has then reached the room, where its sender is
    // known (and skipped) by the old nick.
    session.settle(
      Promise.resolve(),
      () =>
        session.settle(
          session.ctx.hub.rename(session, frame.nick),
          (renamed) => {
            if (!renamed) session.sendError('nick_taken', `nick "${frame.nick}" is taken`, frame.id);
            else
              session.answer(frame.id, undefined, { type: 'notice', text: `you are now known as ${frame.nick}`, ts: now });
            session.releaseFrames();
          },
          failedThenRelease,
        ),
      failedThenRelease,
    );
  },
  op: (session, f) => run(session, f.id, { op: 'op', room: f.room, by: actorOf(session), nick: f.nick }),
  deop: (session, f) => run(session, f.id, { op: 'deop', room: f.room, by: actorOf(session), nick: f.nick }),
  unmute: (session, f) => run(session, f.id, { op: 'unmute', room: f.room, by: actorOf(session), nick: f.nick }),
  kick: (session, f) => run(session, f.id, { ...f, op: 'kick', by: actorOf(session) }),
  ban(session, f) {
    if ((f.nick === undefined) === (f.ip === undefined)) return needsOneTarget(session, f.id);
    run(session, f.id, { ...f, op: 'ban', by: actorOf(session) });
  },
  unban(session, f) {
    if ((f.nick === undefined) === (f.ip === undefined)) return needsOneTarget(session, f.id);
    run(session, f.id, { ...f, op: 'unban', by: actorOf(session) });
  },
  mute: (session, f) => run(session, f.id, { ...f, op: 'mute', by: actorOf(session) }),
  slow: (session, f) => run(session, f.id, { op: 'slow', room: f.room, by: actorOf(session), seconds: f.seconds }),
  delete: (session, f) => run(session, f.id, { op: 'delete', room: f.room, by: actorOf(session), seq: f.seq }),
  topic(session, f) {
    const command: RoomCommand = { op: 'topic', room: f.room, by: actorOf(session) };
    if (f.text !== undefined) command.text = f.text;
    run(session, f.id, command, (outcome) => {
      if (outcome.topic === undefined) return session.answer(f.id, undefined);
      session.send(f.id === undefined ? outcome.topic : { ...outcome.topic, id: f.id });
    });
  },
};

/**
 * Sends `command` to the room's state and answers: `then` for what it returned, or an ack;
 * a refusal is the error of its code. The frame's `type` and `id` fields never reach the bus.
 */
function run(
  session: Session,
  id: Id | undefined,
  command: RoomCommand & { type?: string; id?: Id },
  then?: (outcome: Extract<RoomCommandOutcome, { ok: true }>) => void,
): void {
  delete command.type;
  delete command.id;
  session.settleCaused(
    (cause) => session.ctx.hub.roomCommand({ ...command, cause }),
    (outcome) => {
      if (!outcome.ok) return session.sendError(outcome.refusal as ErrorCode, refusalText(outcome, command), id);
      if (then === undefined) session.answer(id, undefined);
      else then(outcome);
    },
    failed(session, id),
  );
}

function refusalText(outcome: Extract<RoomCommandOutcome, { ok: false }>, command: RoomCommand): string | undefined {
  if (outcome.message !== undefined) return outcome.message;
  if (outcome.refusal === 'not_in_room') return `not in room "${command.room}"`;
  if (outcome.refusal === 'not_member' && 'nick' in command) return `"${command.nick}" is not in room "${command.room}"`;
  return undefined;
}

function needsOneTarget(session: Session, id: Id | undefined): void {
  session.sendError('invalid_frame', 'name a nick or (server admins) an ip, not both', id);
}
