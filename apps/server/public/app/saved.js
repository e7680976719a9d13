// What the page remembers across reloads, in localStorage: the last nick, the rooms it was
// in and the one on screen. Only which rooms to join again: unread counts come from the
// read markers the server stores, so they hold on another browser too.

const KEY = 'loopchat.page';
/** The server's default rooms per connection: more is never useful to keep. */
const MAX_ROOMS = 50;

/** `{nick?, rooms: string[], active: string | null}`; empty when nothing (or garbage) is stored. */
export function loadSaved() {
  try {
    const saved = JSON.parse(window.localStorage.getItem(KEY) ?? '{}');
    const rooms = Array.isArray(saved.rooms) ? saved.rooms.filter((r) => typeof r === 'string').slice(0, MAX_ROOMS) : [];
    return { nick: typeof saved.nick === 'string' ? saved.nick : undefined, rooms, active: saved.active ?? null };
  } catch {
    return { rooms: [], active: null }; // storage off (private mode) or unreadable: start afresh
  }
}

export function save(nick, rooms, active) {
  try {
    window.localStorage.setItem(KEY, JSON.stringify({ nick, rooms: rooms.slice(0, MAX_ROOMS), active }));
  } catch {
    // storage full or off: the page works, it only forgets on reload
  }
}
