// The chat page: a thin view over @loopchat/client (served from /client/, built by
// `tsc -b`). The client owns the socket, reconnects with backoff, says hello again,
// re-joins and recovers missed messages by seq, so every room shows each message once, in
// order; it also keeps the read markers the server stores, so unread counts survive.
import { ChatClient, webSocketTransport } from '/client/index.js';
import { HELP, NICK, ROOM, parseInput } from './commands.js';
import { Rooms } from './rooms.js';
import { loadSaved, save } from './saved.js';
import { $, Log, spans } from './view.js';

const EARLIER = 50; // messages from before the join shown when entering a room
/** Read markers go to the server at most this often (each is a frame against the rate limit). */
const MARK_READ_EVERY_MS = 1000;

const ui = {
  nick: $('nick'),
  connect: $('connect'),
  room: $('room'),
  join: $('join'),
  text: $('text'),
  send: $('send'),
  status: $('status'),
  members: $('member-box'),
};
const log = new Log($('messages'));
const rooms = new Rooms(
  {
    tabs: $('tabs'),
    topic: $('topic'),
    current: $('current'),
    members: $('members'),
    memberCount: $('member-count'),
    typing: $('typing'),
  },
  (room) => {
    log.show(room);
    markSeen(room);
    remember();
    refresh();
  },
);
const st = { client: null, nick: '', wanted: false, welcomed: false, unconfirmed: 0, marks: new Set(), markTimer: null };

const info = (text, room) => log.add('info', [text], { room });
const showError = (code, message) => log.add('error', [`! ${code}: ${message}`]);
const report = (err) => (err.code === 'not_connected' ? info('* not connected') : showError(err.code, err.message));
const visible = () => document.visibilityState === 'visible';
/** Saves the rooms for the next page load; only while connected (a disconnect empties the tabs, not the memory). */
const remember = () => st.welcomed && save(st.nick, rooms.names(), rooms.active);

function setStatus(text, cls) {
  ui.status.textContent = text;
  ui.status.className = cls || '';
}
function refresh() {
  ui.connect.textContent = st.wanted ? 'Disconnect' : 'Connect';
  ui.nick.disabled = st.wanted;
  ui.join.disabled = ui.text.disabled = ui.send.disabled = !st.welcomed;
}

// ── messages ─────────────────────────────────────────────────────────────────
function showMessage(m) {
  if (!rooms.has(m.room)) return;
  const parts = [[`[${m.room}] `, 'room']];
  let cls = m.from === st.nick ? 'msg own' : 'msg';
  if (m.deleted) {
    cls += ' deleted';
    parts.push([m.from, 'from'], ': ', ['(message deleted)', 'gone']);
  } else if (m.action) {
    cls += ' action';
    parts.push('* ', [m.from, 'from'], ` ${m.text}`);
  } else parts.push([m.from, 'from'], `: ${m.text}`);
  // Earlier messages (shown on join, recovered after a gap) go above the later ones of their room.
  const state = rooms.get(m.room);
  const before = m.seq < state.maxSeq ? log.find(m.room, m.seq, true) : null;
  const li = log.add(cls, parts, { ts: m.ts, room: m.room, seq: m.seq, before });
  li.dataset.from = m.from;
  li.title = `#${m.seq}`;
  const seen = m.room === rooms.active && visible();
  rooms.message(m, st.nick, seen);
  if (seen) markSeen(m.room);
}

/** A deletion: the line stays in its place (later ones may refer to it), its text goes. */
function showDeleted(f) {
  const li = log.find(f.room, f.seq);
  if (li === null) return; // not on screen: history shows its tombstone
  const by = f.by === '*' ? 'the server' : f.by;
  li.classList.add('deleted');
  li.classList.remove('action');
  li.replaceChildren(
    li.firstChild, // the time
    ...spans([[`[${f.room}] `, 'room'], [li.dataset.from, 'from'], ': ', [`(message deleted by ${by})`, 'gone']]),
  );
}

const MOD_TEXT = {
  op: (f) => `${f.nick} is now an operator (by ${f.by})`,
  deop: (f) => `${f.nick} is no longer an operator (by ${f.by})`,
  kick: (f) => `${f.nick} was kicked by ${f.by}${f.reason ? ` (${f.reason})` : ''}`,
  ban: (f) => `${f.nick ?? 'an address'} was banned by ${f.by}${f.minutes ? ` for ${f.minutes} min` : ''}`,
  unban: (f) => `${f.nick ?? 'an address'} was unbanned by ${f.by}`,
  mute: (f) => `${f.nick} was muted by ${f.by}${f.minutes ? ` for ${f.minutes} min` : ''}`,
  unmute: (f) => `${f.nick} was unmuted by ${f.by}`,
  slow: (f) => (f.seconds ? `slow mode: one message per ${f.seconds} s per member (${f.by})` : `slow mode off (${f.by})`),
};

// ── read markers ─────────────────────────────────────────────────────────────
/** The room is on screen: no unread left; its marker goes to the server (batched). */
function markSeen(room) {
  if (!room || !visible() || rooms.seen(room) === undefined) return;
  st.marks.add(room);
  st.markTimer ??= setTimeout(sendMarks, MARK_READ_EVERY_MS);
}
function sendMarks() {
  st.markTimer = null;
  for (const room of st.marks) {
    const state = rooms.get(room);
    if (state && st.welcomed) st.client.markRead(room, state.read).catch(() => {}); // lost: the next one carries it
  }
  st.marks.clear();
}

// ── connection ───────────────────────────────────────────────────────────────
async function connect() {
  const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
  const client = new ChatClient({ transport: webSocketTransport(url), reconnect: { initialMs: 500 } });
  st.client = client;
  // A client replaced by Disconnect + Connect may still report its close: ignore it.
  const current = (fn) => (payload) => {
    if (client === st.client) fn(payload);
  };
  let restored = false; // the rooms of the last visit are joined once; after a reconnect the client re-joins
  client.on(
    'welcome',
    current((f) => {
      st.welcomed = true;
      st.nick = f.nick;
      setStatus('connected', 'ok');
      ui.status.title = `${f.nick} @ ${f.server}`;
      info(`* connected as ${f.nick}`);
      refresh();
      if (restored) return;
      restored = true;
      const saved = loadSaved();
      if (saved.nick?.toLowerCase() === f.nick.toLowerCase())
        for (const room of saved.rooms) if (ROOM.test(room)) void join(room, room === saved.active);
    }),
  );
  client.on('message', current(showMessage));
  client.on(
    'typing',
    current((f) => rooms.typing(f)),
  );
  client.on(
    'topic',
    current((f) => {
      const known = rooms.topicOf(f.room);
      rooms.topic(f);
      if (f.text !== known) info(f.text ? `* topic: ${f.text}${f.by ? ` (set by ${f.by})` : ''}` : '* no topic', f.room);
    }),
  );
  client.on('delete', current(showDeleted));
  client.on(
    'mod',
    current((f) => {
      rooms.mod(f);
      if (f.by === '*') f = { ...f, by: 'the server' };
      info(`* ${(MOD_TEXT[f.action] ?? ((x) => `${x.action} ${x.nick ?? ''}`))(f)}`, f.room);
      if ((f.action === 'kick' || f.action === 'ban') && f.nick?.toLowerCase() === st.nick.toLowerCase()) {
        rooms.remove(f.room);
        remember();
        info(`* you are out of ${f.room}`);
      }
    }),
  );
  client.on(
    'dm',
    current((f) => log.add('dm', [['[dm] ', 'room'], [f.from, 'from'], `: ${f.text}`], { ts: f.ts })),
  );
  client.on(
    'presence',
    current((f) => {
      rooms.presence(f);
      const what =
        f.event === 'rename'
          ? `${f.old} is now known as ${f.nick}`
          : `${f.nick} ${f.event === 'join' ? 'joined' : 'left'} ${f.room}${f.quit ? ' (disconnected)' : ''}`;
      info(`* ${what}`, f.room);
    }),
  );
  client.on(
    'notice',
    current((f) => log.add('info', [`* notice${f.room ? ` [${f.room}]` : ''}: ${f.text}`], { ts: f.ts })),
  );
  client.on(
    'error',
    current((err) => showError(err.code, err.message)),
  );
  client.on(
    'gap',
    current(({ room }) => info(`* some messages in ${room} are no longer in the server's history`, room)),
  );
  // The server lost history (a new epoch: restarted without its store, or the store was
  // replaced): the room's numbering started over, so lines above may not be in it any more.
  client.on(
    'reset',
    current(({ room }) =>
      info(`* the server lost the history of ${room}; its messages are numbered afresh from here`, room),
    ),
  );
  client.on(
    'reconnected',
    current(({ rooms: joined }) => {
      for (const room of joined) void loadMembers(room);
    }),
  );
  client.on(
    'close',
    current(({ willReconnect }) => {
      if (st.unconfirmed) info(`* connection lost before ${st.unconfirmed} message(s) were confirmed`);
      st.welcomed = false;
      if (!willReconnect) {
        st.wanted = false;
        setStatus('disconnected');
      }
      refresh();
    }),
  );
  client.on(
    'reconnecting',
    current(({ delayMs }) => {
      const s = (delayMs / 1000).toFixed(1);
      setStatus(`reconnecting in ${s}s`, 'warn');
      info(`* connection closed; reconnecting in ${s}s`);
    }),
  );
  setStatus('connecting…', 'warn');
  try {
    await client.connect();
    await client.hello(st.nick);
  } catch (err) {
    if (client !== st.client) return;
    showError(err.code, err.message);
    disconnect();
  }
}
function disconnect() {
  st.wanted = false;
  st.welcomed = false;
  st.client?.close();
  st.client = null;
  rooms.clear();
  setStatus('disconnected');
  refresh();
}

// ── requests ─────────────────────────────────────────────────────────────────
async function join(room, user) {
  try {
    const seq = await st.client.join(room);
    if (!rooms.has(room)) {
      rooms.add(room, seq, st.client.readMarker(room));
      remember();
      info(`* joined ${room}`, room);
      void loadMembers(room);
      const earlier = await st.client.history(room, { limit: EARLIER });
      for (const m of earlier) if (m.seq <= seq) showMessage(m); // later ones arrive as live messages
      // Counted against the marker the server kept, so it holds across reloads and devices.
      const state = rooms.get(room);
      const more = earlier.length > 0 && earlier[0].seq > state.read + 1; // older unread ones were not loaded
      if (state.unread > 0) info(`* ${state.unread}${more ? '+' : ''} unread in ${room} since you were last here`, room);
    }
    if (user || !rooms.active) rooms.select(room);
  } catch (err) {
    report(err);
  }
}
async function loadMembers(room) {
  try {
    const { nicks, ops } = await st.client.members(room);
    rooms.setMembers(room, nicks, ops);
  } catch {
    /* the list fills from presence events */
  }
}
async function leave(room) {
  try {
    await st.client.leave(room);
    rooms.remove(room);
    remember();
    info(`* left ${room}`);
  } catch (err) {
    report(err);
  }
}
function send(room, text, action) {
  st.unconfirmed++;
  st.client
    .send(room, text, { action }) // shown by the client's `message` event, in its room's order
    .catch((err) => err.code === 'disconnected' || report(err))
    .finally(() => st.unconfirmed--);
}
async function dm(to, text) {
  try {
    const { ts } = await st.client.dm(to, text);
    log.add('dm own', [['[dm -> ', 'room'], [to, 'from'], ['] ', 'room'], text], { ts });
  } catch (err) {
    report(err);
  }
}
async function who(room) {
  try {
    const { nicks, ops } = await st.client.members(room);
    rooms.setMembers(room, nicks, ops);
    const opSet = new Set(ops);
    info(`* ${room} (${nicks.length}): ${nicks.map((n) => (opSet.has(n) ? `@${n}` : n)).join(', ')}`);
  } catch (err) {
    report(err);
  }
}
async function showRooms() {
  try {
    const list = await st.client.rooms();
    info(`* rooms: ${list.map((r) => `${r.room} (${r.members})`).join(', ') || 'none'}`);
  } catch (err) {
    report(err);
  }
}
async function topic(room, text) {
  try {
    const answer = await st.client.topic(room, text);
    if (answer) info(answer.text ? `* topic of ${room}: ${answer.text}` : `* ${room} has no topic`, room);
  } catch (err) {
    report(err);
  }
}
async function changeNick(nick) {
  try {
    await st.client.changeNick(nick);
    info(`* you are now ${nick}`);
    st.nick = nick;
    remember();
  } catch (err) {
    report(err);
  }
}
async function moderate(type, fields) {
  try {
    await st.client.moderate(type, fields);
  } catch (err) {
    // the room's `mod` or `delete` event shows it
    report(err);
  }
}

// ── user input ───────────────────────────────────────────────────────────────
function run(cmd) {
  switch (cmd.kind) {
    case 'none':
      return undefined;
    case 'no-room':
      return info('* join a room first: /join ROOM');
    case 'send':
      return send(cmd.room, cmd.text, cmd.action);
    case 'join':
      return join(cmd.room, true);
    case 'leave':
      return leave(cmd.room);
    case 'who':
      return who(cmd.room);
    case 'rooms':
      return showRooms();
    case 'dm':
      return dm(cmd.to, cmd.text);
    case 'topic':
      return topic(cmd.room, cmd.text);
    case 'nick':
      return changeNick(cmd.nick);
    case 'moderate':
      return moderate(cmd.type, cmd.fields);
    case 'help':
      for (const line of HELP) info(`* ${line}`);
      return undefined;
    case 'usage':
      return info(`* ${cmd.text}`);
    default:
      return showError('unknown_command', `unknown command /${cmd.command}; /help lists them`);
  }
}

$('login').addEventListener('submit', (ev) => {
  ev.preventDefault();
  if (st.wanted) return disconnect();
  const nick = ui.nick.value.trim();
  if (!NICK.test(nick)) return showError('invalid_nick', 'a letter, then letters, digits, _ or -; up to 24');
  st.nick = nick;
  st.wanted = true;
  rooms.clear();
  void connect();
  refresh();
});
$('joiner').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const room = (ui.room.value.trim() || 'general').replace(/^#/, '').toLowerCase();
  if (!ROOM.test(room)) return showError('invalid_room', 'letters, digits, _ . -; up to 32');
  void join(room, true);
});
$('composer').addEventListener('submit', (ev) => {
  ev.preventDefault();
  run(parseInput(ui.text.value, rooms.active));
  ui.text.value = '';
});
// Each keystroke of a message (not of a command) says "typing"; the client sends one per 2 s.
ui.text.addEventListener('input', () => {
  const v = ui.text.value;
  if (st.welcomed && rooms.active && v.trim() && (!v.startsWith('/') || v.startsWith('//'))) st.client.typing(rooms.active);
});
document.addEventListener('visibilitychange', () => markSeen(rooms.active));
// The member list is a side column on wide screens and folds away on a phone.
if (window.matchMedia('(min-width: 641px)').matches) ui.members.open = true;
ui.nick.value = loadSaved().nick ?? '';
refresh();
ui.nick.focus();
