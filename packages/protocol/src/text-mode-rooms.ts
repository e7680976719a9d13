/**
 * Text mode's room commands (issue 16): `/me`, `/topic` and the operators' commands, parsed
 * into the same frames JSON clients send (text-mode.ts validates them through the codec),
 * and the lines a terminal shows for the room events they cause. Every command acts on the
 * current room (the one joined last), as IRC clients act on the channel in view.
 *
 *   /me action          /topic [text]        /kick NICK [reason]    /ban NICK|ADDRESS [minutes]
 *   /unban NICK|ADDRESS /mute NICK [minutes] /unmute NICK           /op NICK   /deop NICK
 *   /slow SECONDS       /delete SEQ
 */
import { ProtocolError } from './errors.js';
import type { DeleteFrame, ModFrame, TopicFrame } from './frames.js';
import { sanitizeForTerminal } from './text-mode.js';

export const ROOM_COMMANDS_HELP = [
  '*   /me action        an action in the current room ("* you wave")',
  "*   /topic [text]     show the current room's topic, or set it (operators)",
  '*   operators: /kick NICK [reason]  /ban NICK|ADDRESS [minutes]  /unban NICK|ADDRESS',
  '*              /mute NICK [minutes]  /unmute NICK  /op NICK  /deop NICK',
  '*              /slow SECONDS (0: off)  /delete SEQ',
];

/** What a room command becomes: a frame to validate, or an error to show. */
export type RoomCommandResult = Record<string, unknown> | { error: ProtocolError };

/** Commands taking one nick and nothing else. */
const NICK_ONLY = new Set(['op', 'deop', 'unmute']);

/**
 * Parses `/command rest` when `command` is a room command; undefined when it is not one.
 * `rest` is the text after the command, trimmed.
 */
export function parseRoomCommand(
  command: string,
  rest: string,
  currentRoom: string | null,
  registered: boolean,
): RoomCommandResult | undefined {
  if (!ROOM_COMMANDS.has(command)) return undefined;
  if (!registered) return fail('not_registered', 'choose a nick first: /nick NAME');
  if (currentRoom === null) return fail('not_in_room', 'join a room first: /join ROOM');
  const room = currentRoom;
  const [first = '', second = ''] = rest.split(/\s+/, 2);
  const afterFirst = rest.slice(first.length).trim();
  if (NICK_ONLY.has(command)) {
    if (first === '' || afterFirst !== '') return usage(`/${command} NICK`);
    return { type: command, room, nick: first };
  }
  switch (command) {
    case 'me':
      return rest === '' ? usage('/me action') : { type: 'msg', room, text: rest, action: true };
    case 'topic':
      return rest === '' ? { type: 'topic', room } : { type: 'topic', room, text: rest };
    case 'kick':
      if (first === '') return usage('/kick NICK [reason]');
      return afterFirst === ''
        ? { type: 'kick', room, nick: first }
        : { type: 'kick', room, nick: first, reason: afterFirst };
    case 'ban':
    case 'mute': {
      const what = command === 'ban' ? '/ban NICK|ADDRESS [minutes]' : '/mute NICK [minutes]';
      if (first === '' || (second !== '' && afterFirst !== second) || (second !== '' && !DIGITS.test(second))) {
        return usage(what);
      }
      const frame: Record<string, unknown> = { type: command, room, ...target(command, first) };
      if (second !== '') frame['minutes'] = Number(second);
      return frame;
    }
    case 'unban':
      return first === '' || afterFirst !== ''
        ? usage('/unban NICK|ADDRESS')
        : { type: 'unban', room, ...target('unban', first) };
    case 'slow':
      return DIGITS.test(rest) ? { type: 'slow', room, seconds: Number(rest) } : usage('/slow SECONDS (0 turns it off)');
    case 'delete':
      return DIGITS.test(rest) ? { type: 'delete', room, seq: Number(rest) } : usage('/delete SEQ');
  }
  return undefined;
}

const ROOM_COMMANDS = new Set(['me', 'topic', 'kick', 'ban', 'unban', 'mute', 'unmute', 'op', 'deop', 'slow', 'delete']);
const DIGITS = /^[0-9]{1,9}$/;

/** A nick never holds `.` or `:`; an address always does (bans by address are for admins). */
function target(command: string, word: string): { nick: string } | { ip: string } {
  return command !== 'mute' && /[.:]/.test(word) ? { ip: word } : { nick: word };
}

function usage(text: string): RoomCommandResult {
  return fail('missing_argument', `usage: ${text}`);
}

function fail(code: ProtocolError['code'], message: string): RoomCommandResult {
  return { error: new ProtocolError(code, message) };
}

/** The line a terminal shows for a room event (operators' and users' names need no sanitizing: their syntax is safe). */
export function renderRoomFrame(frame: ModFrame | TopicFrame | DeleteFrame): string {
  const s = sanitizeForTerminal;
  const at = `* [${frame.room}]`;
  if (frame.type === 'topic') {
    if (frame.text === '') return `${at} no topic is set\n`;
    return `${at} topic: ${s(frame.text)}${frame.by === undefined ? '' : ` (set by ${frame.by})`}\n`;
  }
  const by = frame.by === '*' ? 'the server' : frame.by;
  if (frame.type === 'delete') return `${at} ${by} deleted message ${frame.seq}\n`;
  const nick = frame.nick ?? 'an address';
  const span = frame.minutes === undefined ? '' : ` for ${frame.minutes} min`;
  const reason = frame.reason === undefined ? '' : `: ${s(frame.reason)}`;
  switch (frame.action) {
    case 'op':
      return `${at} ${by} made ${nick} an operator\n`;
    case 'deop':
      return `${at} ${by} took operator from ${nick}\n`;
    case 'kick':
      return `${at} ${nick} was kicked by ${by}${reason}\n`;
    case 'ban':
      return `${at} ${nick} was banned by ${by}${span}${reason}\n`;
    case 'unban':
      return `${at} ${by} lifted the ban on ${nick}\n`;
    case 'mute':
      return `${at} ${nick} was muted by ${by}${span}\n`;
    case 'unmute':
      return `${at} ${by} unmuted ${nick}\n`;
    case 'slow':
      return frame.seconds === undefined || frame.seconds === 0
        ? `${at} ${by} turned slow mode off\n`
        : `${at} ${by} set slow mode: one message per ${frame.seconds} s per member\n`;
  }
}
