/**
 * Human text mode, for `nc` and telnet: IRC-like slash commands in, readable lines out.
 * Commands become the same frames JSON clients send (and pass the same validation), so
 * both kinds of client share every rule.
 *
 *   /nick NAME   /join ROOM   /leave [ROOM]   /msg NICK text   /who [ROOM]
 *   /rooms       /history [N] /ping           /quit            /help
 *   /me action   /topic [text]   and the operators' commands (text-mode-rooms.ts)
 *   #ROOM alone on a line joins ROOM;
 *   anything else is a message to the current room (the last one joined);
 *   a line starting with `//` sends the rest as a message beginning with `/`.
 */
import type { ClientCodec } from './codec.js';
import { ProtocolError } from './errors.js';
import type { ClientFrame, ServerFrame } from './frames.js';
import { NICK_RULE, ROOM_RULE } from './limits.js';
import { parseRoomCommand, renderRoomFrame, ROOM_COMMANDS_HELP } from './text-mode-rooms.js';

export type TextCommand =
  | { kind: 'frame'; frame: ClientFrame }
  | { kind: 'help' }
  | { kind: 'quit' }
  | { kind: 'empty' }
  | { kind: 'error'; error: ProtocolError };

export const TEXT_HELP = [
  '* commands:',
  '*   /nick NAME        choose your nick (first)',
  '*   /join ROOM        join a room; it becomes your current room (#ROOM alone does too)',
  '*   /leave [ROOM]     leave a room (default: the current one)',
  '*   /msg NICK text    direct message',
  '*   /who [ROOM]       members of a room',
  '*   /rooms            rooms and their sizes',
  '*   /history [N]      last N messages of the current room',
  '*   /ping  /quit  /help',
  ...ROOM_COMMANDS_HELP,
  '*   any other line is a message to the current room (//text sends one starting with /)',
].join('\n');

/**
 * What a raw TCP connection that stays silent is told (apps/server core/greeter.ts). Every
 * line starts with `* `, never `{`: a JSON client that is greeted (it waited before its
 * first frame) tells these lines from frames by their first byte and skips them.
 */
export const TEXT_GREETING = [
  '* loopchat: type /nick NAME to choose a nick, then /join ROOM (or #ROOM) to enter a room.',
  '* /help lists the commands; /quit leaves. Programs: send JSON frames, one per line.',
].join('\n');

/**
 * Parses one line typed by a human. `currentRoom` is the room plain lines go to;
 * `registered` is whether the connection has a nick yet, so that a newcomer is told to
 * choose a nick before being told to join a room (the order in which they must happen).
 */
export function parseTextLine(line: string, currentRoom: string | null, codec: ClientCodec, registered = true): TextCommand {
  const trimmed = line.trim();
  if (trimmed === '') return { kind: 'empty' };
  // IRC habit: `#general` alone on a line joins it (a line with more words is a message).
  if (trimmed.startsWith('#') && !/\s/.test(trimmed)) return frame(codec, { type: 'join', room: trimmed.slice(1) });
  if (!trimmed.startsWith('/') || trimmed.startsWith('//')) {
    if (!registered) return NOT_REGISTERED();
    if (currentRoom === null) return NOT_IN_ROOM();
    const text = trimmed.startsWith('//') ? trimmed.slice(1) : trimmed;
    return frame(codec, { type: 'msg', room: currentRoom, text });
  }
  const space = trimmed.search(/\s/);
  const command = (space === -1 ? trimmed.slice(1) : trimmed.slice(1, space)).toLowerCase();
  const rest = space === -1 ? '' : trimmed.slice(space + 1).trim();
  const arg = rest.split(/\s+/, 1)[0] ?? '';
  switch (command) {
    case 'nick':
      if (arg === '') return missing('/nick NAME');
      if (arg !== rest) return spaced('invalid_nick', rest);
      // The first /nick registers; a later one renames (the server keeps it unique).
      return frame(codec, { type: registered ? 'nick' : 'hello', nick: arg });
    case 'join':
      if (arg === '') return missing('/join ROOM');
      return arg === rest ? frame(codec, { type: 'join', room: roomName(arg) }) : spaced('invalid_room', rest);
    case 'leave':
    case 'part': {
      if (arg !== rest) return spaced('invalid_room', rest);
      const room = arg === '' ? currentRoom : roomName(arg);
      return room === null ? missing('/leave ROOM') : frame(codec, { type: 'leave', room });
    }
    case 'msg': {
      const text = rest.slice(arg.length).trim();
      return arg === '' || text === '' ? missing('/msg NICK text') : frame(codec, { type: 'dm', to: arg, text });
    }
    case 'who': {
      if (arg !== rest) return spaced('invalid_room', rest);
      const room = arg === '' ? currentRoom : roomName(arg);
      return room === null ? missing('/who ROOM') : frame(codec, { type: 'who', room });
    }
    case 'rooms':
    case 'list':
      return frame(codec, { type: 'rooms' });
    case 'history': {
      if (!registered) return NOT_REGISTERED();
      if (currentRoom === null) return NOT_IN_ROOM();
      const limit = arg === '' ? 20 : Number(arg);
      return frame(codec, { type: 'history', room: currentRoom, limit });
    }
    case 'ping':
      return frame(codec, { type: 'ping' });
    case 'quit':
    case 'exit':
      return { kind: 'quit' };
    case 'help':
      return { kind: 'help' };
    default: {
      const room = parseRoomCommand(command, rest, currentRoom, registered);
      if (room === undefined) break;
      return room.error instanceof ProtocolError ? { kind: 'error', error: room.error } : frame(codec, room);
    }
  }
  return error('unknown_command', `unknown command /${command.slice(0, 32)}; /help lists them`);
}

const NOT_REGISTERED = (): TextCommand => error('not_registered', 'choose a nick first: /nick NAME');
const NOT_IN_ROOM = (): TextCommand => error('not_in_room', 'join a room first: /join ROOM');

/** IRC habit: `#general` names the room `general`. */
function roomName(arg: string): string {
  return arg.startsWith('#') ? arg.slice(1) : arg;
}

/**
 * Validates through the codec, like a JSON frame. A bad nick or room name is explained in
 * words (NICK_RULE, ROOM_RULE) rather than with the schema's regular expression.
 */
function frame(codec: ClientCodec, value: Record<string, unknown>): TextCommand {
  const result = codec.validate(value);
  if (!(result instanceof ProtocolError)) return { kind: 'frame', frame: result };
  if (result.code === 'invalid_nick')
    return error('invalid_nick', `${quote(value['nick'] ?? value['to'])} is not a nick: ${NICK_RULE}`);
  if (result.code === 'invalid_room')
    return error('invalid_room', `${quote(value['room'])} is not a room name: ${ROOM_RULE}`);
  return { kind: 'error', error: result };
}

/** `/join a b`: one name was expected; joining `a` would not be what was typed. */
function spaced(code: 'invalid_nick' | 'invalid_room', rest: string): TextCommand {
  const rule = code === 'invalid_nick' ? NICK_RULE : ROOM_RULE;
  return error(code, `${quote(rest)} has a space; ${rule}`);
}

/** The user's input, quoted and cut short (the whole error is sanitized when rendered). */
function quote(value: unknown): string {
  const text = String(value);
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

function missing(usage: string): TextCommand {
  return error('missing_argument', `usage: ${usage}`);
}

function error(code: ProtocolError['code'], message: string): TextCommand {
  return { kind: 'error', error: new ProtocolError(code, message) };
}

/**
 * C0/C1 control characters (ESC starts terminal escape sequences), DEL, and bidi
 * overrides (which can make a line read backwards). Other users' text is shown to a
 * terminal, so none of these may pass through.
 */
const UNSAFE_FOR_TERMINALS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Makes user-supplied text safe to print on a terminal. */
export function sanitizeForTerminal(text: string): string {
  return text.replace(UNSAFE_FOR_TERMINALS, '\uFFFD');
}

/**
 * Renders a server frame as text-mode output: zero or more lines, each ending in `\n`.
 * `viewer` is the nick of the reader, so their own DMs read as sent rather than received.
 */
export function renderText(frame: ServerFrame, viewer?: string): string {
  const s = sanitizeForTerminal;
  switch (frame.type) {
    case 'welcome':
      return `* welcome, ${frame.nick}. /join ROOM to start, /help lists commands.\n`;
    case 'msg':
      if (frame.deleted === true) return `[${frame.room}] (a message by ${frame.from} was deleted)\n`;
      if (frame.action === true) return `[${frame.room}] * ${frame.from} ${s(frame.text)}\n`;
      return `[${frame.room}] ${frame.from}: ${s(frame.text)}\n`;
    case 'dm':
      return frame.from === viewer ? `[dm -> ${frame.to}] ${s(frame.text)}\n` : `[dm] ${frame.from}: ${s(frame.text)}\n`;
    case 'presence':
      if (frame.event === 'rename') return `* ${frame.old ?? '?'} is now known as ${frame.nick} (${frame.room})\n`;
      // A quit keeps the words of a leave (scripts wait for "* bob left general") and says why.
      if (frame.quit === true) return `* ${frame.nick} left ${frame.room} (quit)\n`;
      return `* ${frame.nick} ${frame.event === 'join' ? 'joined' : 'left'} ${frame.room}\n`;
    case 'mod':
    case 'topic':
    case 'delete':
      return renderRoomFrame(frame);
    case 'members':
      return `* ${frame.room} (${frame.nicks.length}): ${frame.nicks.join(', ')}\n`;
    case 'rooms':
      return frame.rooms.length === 0
        ? '* no rooms yet: /join ROOM creates one\n'
        : `* rooms: ${frame.rooms.map((r) => `${r.room} (${r.members})`).join(', ')}\n`;
    case 'history':
      return `${frame.messages.map((m) => renderText(m)).join('')}* end of history for ${frame.room} (${frame.messages.length})\n`;
    case 'ack':
      return '* ok\n';
    case 'pong':
      return '* pong\n';
    case 'ping':
      return '';
    case 'typing':
      // A terminal cannot show a line that goes away again; a typing line would only push
      // the conversation up every two seconds. Text mode shows nothing.
      return '';
    case 'notice':
      // Operators' text, but shown on a terminal all the same: sanitized like anyone's.
      return frame.room === undefined ? `* notice: ${s(frame.text)}\n` : `* [${frame.room}] notice: ${s(frame.text)}\n`;
    case 'error':
      return `! ${frame.code}: ${s(frame.message)}\n`;
  }
}
