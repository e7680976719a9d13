// What a line typed into the page's composer asks for. Pure: no DOM and no client, so
// main.js decides how to run each kind. The same commands as text mode (nc), so people
// can move between the two.

export const NICK = /^[A-Za-z][A-Za-z0-9_-]{0,23}$/;
export const ROOM = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;

export const HELP = [
  '/join ROOM  /leave [ROOM]  /who [ROOM]  /rooms  /msg NICK text  /me action  /topic [text]  /nick NEW',
  'operators: /op NICK  /deop NICK  /kick NICK [reason]  /ban NICK [minutes]  /unban NICK',
  '/mute NICK [minutes]  /unmute NICK  /slow SECONDS  /delete SEQ  (//text sends a line starting with /)',
];

const positive = (s) => /^[1-9][0-9]{0,8}$/.test(s);
const roomOf = (arg, current) => (arg || current || '').replace(/^#/, '').toLowerCase();

/**
 * One line → `{kind, ...}`: send, join, leave, who, rooms, dm, topic, nick, moderate (an
 * operator's command, with the frame's fields), help, usage (with the usage text),
 * unknown (with the command), no-room, or none (an empty line).
 */
export function parseInput(raw, current) {
  const text = raw.trim();
  if (!text) return { kind: 'none' };
  if (!text.startsWith('/') || text.startsWith('//')) {
    return current
      ? { kind: 'send', room: current, text: text.startsWith('//') ? text.slice(1) : text }
      : { kind: 'no-room' };
  }
  const [word = '', arg = '', ...more] = text.slice(1).split(/\s+/);
  const cmd = word.toLowerCase();
  const rest = text.replace(/^\/\S+\s*/, ''); // everything after the command
  const tail = rest.replace(/^\S+\s*/, ''); // everything after its first argument
  const room = roomOf(arg, current);
  const usage = (u) => ({ kind: 'usage', text: `usage: ${u}` });
  const needRoom = (then) => (current ? then() : { kind: 'no-room' });
  const target = (type, u, extra = {}) =>
    needRoom(() => (NICK.test(arg) ? { kind: 'moderate', type, fields: { room: current, nick: arg, ...extra } } : usage(u)));
  switch (cmd) {
    case 'join':
      return arg && ROOM.test(room) && more.length === 0 ? { kind: 'join', room } : usage('/join ROOM');
    case 'leave':
    case 'part':
      return room ? { kind: 'leave', room } : usage('/leave ROOM');
    case 'who':
      return room ? { kind: 'who', room } : usage('/who ROOM');
    case 'rooms':
    case 'list':
      return { kind: 'rooms' };
    case 'msg':
      return arg && tail ? { kind: 'dm', to: arg, text: tail } : usage('/msg NICK text');
    case 'me':
      return needRoom(() => (rest ? { kind: 'send', room: current, text: rest, action: true } : usage('/me action')));
    case 'topic':
      return needRoom(() => ({ kind: 'topic', room: current, text: rest || undefined }));
    case 'nick':
      return NICK.test(arg) && more.length === 0
        ? { kind: 'nick', nick: arg }
        : usage('/nick NEW (a letter, then letters, digits, _ or -)');
    case 'op':
    case 'deop':
    case 'unban':
    case 'unmute':
      return target(cmd, `/${cmd} NICK`);
    case 'kick':
      return target('kick', '/kick NICK [reason]', tail ? { reason: tail } : {});
    case 'ban':
    case 'mute': {
      if (tail && !positive(tail)) return usage(`/${cmd} NICK [minutes]`);
      return target(cmd, `/${cmd} NICK [minutes]`, tail ? { minutes: Number(tail) } : {});
    }
    case 'slow':
      return needRoom(() =>
        /^[0-9]{1,4}$/.test(arg)
          ? { kind: 'moderate', type: 'slow', fields: { room: current, seconds: Number(arg) } }
          : usage('/slow SECONDS'),
      );
    case 'delete':
      return needRoom(() =>
        positive(arg)
          ? { kind: 'moderate', type: 'delete', fields: { room: current, seq: Number(arg) } }
          : usage('/delete SEQ'),
      );
    case 'help':
      return { kind: 'help' };
    default:
      return { kind: 'unknown', command: cmd.slice(0, 32) };
  }
}
