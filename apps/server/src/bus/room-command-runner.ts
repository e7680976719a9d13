/**
 * How the room's state decides a room command (issue 16), for ChatState (one process, or the
 * cluster primary). Authority comes from the room's rules and the actor the server built
 * (its registered nick, its admin flag), never from the client's frame. Every change is
 * announced to the room's members on every process as a RoomEvent; a kicked or banned
 * member hears it before its process takes it out of the room.
 */
import {
  encodeTombstoneLine,
  isTombstoneLine,
  readMsgLine,
  readMsgTs,
  type ModFrame,
  type TopicFrame,
} from '@loopchat/protocol';
import type { ChatState, RoomState } from './chat-state.js';
import {
  modFrames,
  refuse,
  type Actor,
  type ModFrameMaker,
  type RoomCommand,
  type RoomCommandOutcome,
} from './room-commands.js';
import { expiryOf } from './room-rules.js';

const OK: RoomCommandOutcome = { ok: true };

export function runRoomCommand(state: ChatState, room: RoomState, command: RoomCommand, now: number): RoomCommandOutcome {
  const outcome = decide(state, room, command, now);
  // What changed the rules is kept with the room's history (a deletion changes the history itself).
  if (
    outcome.ok &&
    command.op !== 'ops' &&
    command.op !== 'delete' &&
    !(command.op === 'topic' && command.text === undefined)
  ) {
    state.saveRules(room);
  }
  return outcome;
}

function decide(state: ChatState, room: RoomState, command: RoomCommand, now: number): RoomCommandOutcome {
  const { by } = command;
  const rules = room.rules;
  // Like the member list, the operators are no secret.
  if (command.op === 'ops') return { ok: true, ops: rules.ops };
  // Admins operate rooms they are not in; anyone else acts only where it is a member.
  if (!by.admin && !room.members.has(by.nick)) return refuse('not_in_room');
  switch (command.op) {
    case 'topic':
      return topic(state, room, by, command.text, now);
    case 'delete':
      return deleteMessage(state, room, by, command.seq, now);
  }
  if (!rules.mayModerate(by)) return refuse('not_op');
  const mod = modFrames(room.name, by, now);
  switch (command.op) {
    case 'op':
    case 'deop': {
      const nick = memberNick(state, room, command.nick);
      if (nick === undefined) return refuse('not_member');
      if (rules.setOp(nick, command.op === 'op')) state.broadcastRoomEvent(room, { frame: mod(command.op, { nick }) });
      return OK;
    }
    case 'kick': {
      const nick = memberNick(state, room, command.nick);
      if (nick === undefined) return refuse('not_member');
      remove(state, room, nick, mod('kick', withReason(nick, command.reason)));
      return OK;
    }
    case 'ban':
      return ban(state, room, by, command, now, mod);
    case 'unban': {
      if (command.ip !== undefined) return by.admin ? (rules.unban(command.ip), OK) : refuse('not_admin');
      const nick = command.nick ?? '';
      if (rules.unban(nick)) state.broadcastRoomEvent(room, { frame: mod('unban', { nick: spelled(state, nick) }) });
      return OK;
    }
    case 'mute': {
      const nick = spelled(state, command.nick);
      if (!rules.mute(nick, expiryOf(command.minutes, now))) return refuse('list_full');
      state.broadcastRoomEvent(room, { frame: mod('mute', withMinutes(nick, command.minutes)) });
      return OK;
    }
    case 'unmute': {
      const nick = spelled(state, command.nick);
      if (rules.unmute(nick)) state.broadcastRoomEvent(room, { frame: mod('unmute', { nick }) });
      return OK;
    }
    case 'slow':
      rules.setSlow(command.seconds);
      state.broadcastRoomEvent(room, { frame: mod('slow', { seconds: command.seconds }) });
      return OK;
  }
}

function topic(state: ChatState, room: RoomState, by: Actor, text: string | undefined, now: number): RoomCommandOutcome {
  if (text === undefined) return { ok: true, topic: room.rules.topic ?? { type: 'topic', room: room.name, text: '' } };
  if (!room.rules.mayModerate(by)) return refuse('not_op');
  const frame: TopicFrame = { type: 'topic', room: room.name, text, by: by.nick, ts: now };
  room.rules.topic = text === '' ? undefined : frame;
  state.broadcastRoomEvent(room, { frame });
  return OK;
}

/** Bans a nick (and takes it out of the room), or an address (admins: every member from it goes). */
function ban(
  state: ChatState,
  room: RoomState,
  by: Actor,
  command: Extract<RoomCommand, { op: 'ban' }>,
  now: number,
  mod: ModFrameMaker,
): RoomCommandOutcome {
  const until = expiryOf(command.minutes, now);
  if (command.ip !== undefined) {
    if (!by.admin) return refuse('not_admin');
    if (!room.rules.ban(command.ip, until)) return refuse('list_full');
    for (const nick of [...room.members.keys()]) {
      if (state.addressOf(nick) === command.ip) remove(state, room, nick, mod('ban', withMinutes(nick, command.minutes)));
    }
    return OK;
  }
  const nick = spelled(state, command.nick ?? '');
  if (!room.rules.ban(nick, until)) return refuse('list_full');
  const frame = mod('ban', withMinutes(nick, command.minutes));
  if (room.members.has(nick)) remove(state, room, nick, frame);
  else state.broadcastRoomEvent(room, { frame });
  return OK;
}

/** A message's author, or an operator, replaces it with a tombstone of the same seq. */
function deleteMessage(state: ChatState, room: RoomState, by: Actor, seq: number, now: number): RoomCommandOutcome {
  const line = state.storedLine(room.name, seq);
  const head = line === undefined ? undefined : readMsgLine(line);
  if (line === undefined || head === undefined || isTombstoneLine(line)) return refuse('no_such_message');
  if (head.from.toLowerCase() !== by.nick.toLowerCase() && !room.rules.mayModerate(by)) return refuse('not_author');
  // A line of its own (deletions are rare): the room's slab only ever grows at its end.
  const tombstone = encodeTombstoneLine(room.name, head.from, seq, readMsgTs(line));
  state.replaceLine(room.name, seq, tombstone);
  state.broadcastRoomEvent(room, { frame: { type: 'delete', room: room.name, seq, by: by.nick, ts: now } });
  return OK;
}

/** Announces `frame` to the room (the member included), then takes the member out without a presence. */
function remove(state: ChatState, room: RoomState, nick: string, frame: ModFrame): void {
  state.broadcastRoomEvent(room, { frame, remove: [nick] });
  state.removeMember(room, nick, false);
}

/** The member's nick as it joined, for a nick typed in any case; undefined if not a member. */
function memberNick(state: ChatState, room: RoomState, nick: string): string | undefined {
  if (room.members.has(nick)) return nick;
  const registered = state.registeredNick(nick);
  return registered !== undefined && room.members.has(registered) ? registered : undefined;
}

/** The spelling a connected nick registered, or the nick as typed (bans and mutes may name someone absent). */
function spelled(state: ChatState, nick: string): string {
  return state.registeredNick(nick) ?? nick;
}

function withReason(nick: string, reason: string | undefined): Partial<ModFrame> {
  return reason === undefined || reason === '' ? { nick } : { nick, reason };
}

function withMinutes(nick: string, minutes: number | undefined): Partial<ModFrame> {
  return minutes === undefined ? { nick } : { nick, minutes };
}
