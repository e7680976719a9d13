// The rooms the page is in: one tab each, with its unread count, and for the active one
// its topic, member list (operators marked) and typing line. Message lines live in the
// Log (view.js); this keeps what each room knows besides them.
import { el } from './view.js';

/** How long a nick shows as typing after its last `typing` (the server relays one per 2 s). */
export const TYPING_SHOWN_MS = 3500;

class RoomState {
  constructor(name, seq, read) {
    this.name = name;
    /** Highest seq shown. */
    this.maxSeq = seq;
    /** Read marker: the last seq marked as seen (stored on the server). */
    this.read = read;
    this.unread = 0;
    /** lower-case nick → { nick, op } */
    this.members = new Map();
    /** nick → until (ms) */
    this.typing = new Map();
    this.tab = el('button', 'tab');
    this.tab.type = 'button';
    this.tab.setAttribute('role', 'tab');
    this.tab.dataset.room = name;
    this.badge = el('span', 'badge');
    this.badge.dataset.testid = `unread-${name}`;
    this.tab.append(el('span', 'tab-name', `#${name}`), this.badge);
    this.renderBadge();
  }

  renderBadge() {
    this.badge.textContent = this.unread > 0 ? String(this.unread) : '';
    this.badge.hidden = this.unread === 0;
    this.tab.setAttribute('aria-label', this.unread > 0 ? `#${this.name}, ${this.unread} unread` : `#${this.name}`);
  }
}

export class Rooms {
  #ui;
  #rooms = new Map();
  #active = null;
  #onSelect;
  #typingTimer = null;
  /**
   * room → topic. Apart from the rooms: a joiner's topic may come before the join's answer
   * (in one process the bus sends it while the join is being stored).
   */
  #topics = new Map();

  /** `ui`: tabs, topic, current, members, memberCount, typing elements; `onSelect(room)` after a switch. */
  constructor(ui, onSelect) {
    this.#ui = ui;
    this.#onSelect = onSelect;
  }

  get active() {
    return this.#active;
  }

  has(room) {
    return this.#rooms.has(room);
  }

  get(room) {
    return this.#rooms.get(room);
  }

  names() {
    return [...this.#rooms.keys()];
  }

  /** A room joined: `seq` its latest, `read` the stored marker (undefined: none yet). */
  add(room, seq, read) {
    let state = this.#rooms.get(room);
    if (state === undefined) {
      state = new RoomState(room, seq, read ?? seq);
      state.tab.addEventListener('click', () => this.select(room));
      this.#rooms.set(room, state);
      this.#ui.tabs.append(state.tab);
    }
    return state;
  }

  remove(room) {
    const state = this.#rooms.get(room);
    if (state === undefined) return;
    state.tab.remove();
    this.#rooms.delete(room);
    this.#topics.delete(room);
    if (this.#active === room) this.select(this.names().pop() ?? null);
  }

  clear() {
    for (const room of this.names()) this.remove(room);
    this.#topics.clear();
  }

  select(room) {
    this.#active = room;
    for (const state of this.#rooms.values()) {
      const on = state.name === room;
      state.tab.setAttribute('aria-selected', String(on));
      state.tab.classList.toggle('active', on);
    }
    const state = room === null ? undefined : this.#rooms.get(room);
    state?.tab.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    this.#ui.current.textContent = room ? `#${room}` : '';
    this.renderTopic();
    this.renderMembers();
    this.renderTyping();
    this.#onSelect(room);
  }

  /** A message shown in its room; counts it unread unless `seen` (active tab, page visible) or yours. */
  message(m, me, seen) {
    const state = this.#rooms.get(m.room);
    if (state === undefined) return;
    state.maxSeq = Math.max(state.maxSeq, m.seq);
    if (state.typing.delete(m.from) && m.room === this.#active) this.renderTyping();
    if (!seen && m.from !== me && m.seq > state.read && !m.deleted) {
      state.unread++;
      state.renderBadge();
    }
  }

  /** The room was seen up to its newest message; returns the seq to store, or undefined when nothing moved. */
  seen(room) {
    const state = this.#rooms.get(room);
    if (state === undefined) return undefined;
    state.unread = 0;
    state.renderBadge();
    if (state.maxSeq <= state.read) return undefined;
    state.read = state.maxSeq;
    return state.read;
  }

  setMembers(room, nicks, ops) {
    const state = this.#rooms.get(room);
    if (state === undefined) return;
    const opSet = new Set(ops.map((n) => n.toLowerCase()));
    state.members = new Map(nicks.map((nick) => [nick.toLowerCase(), { nick, op: opSet.has(nick.toLowerCase()) }]));
    if (room === this.#active) this.renderMembers();
  }

  presence(f) {
    const state = this.#rooms.get(f.room);
    if (state === undefined) return;
    const old = state.members.get((f.old ?? f.nick).toLowerCase());
    if (f.event === 'leave') state.members.delete(f.nick.toLowerCase());
    else if (f.event === 'join') state.members.set(f.nick.toLowerCase(), { nick: f.nick, op: false });
    else {
      state.members.delete((f.old ?? '').toLowerCase());
      state.members.set(f.nick.toLowerCase(), { nick: f.nick, op: old?.op ?? false });
      state.typing.delete(f.old);
    }
    state.typing.delete(f.nick);
    if (f.room === this.#active) {
      this.renderMembers();
      this.renderTyping();
    }
  }

  /** An operator's act: roles change, and a kicked or banned member is out of the list. */
  mod(f) {
    const state = this.#rooms.get(f.room);
    const member = f.nick && state?.members.get(f.nick.toLowerCase());
    if (!member) return;
    if (f.action === 'op' || f.action === 'deop') member.op = f.action === 'op';
    if (f.action === 'kick' || f.action === 'ban') state.members.delete(f.nick.toLowerCase());
    if (f.room === this.#active) this.renderMembers();
  }

  topicOf(room) {
    return this.#topics.get(room) ?? '';
  }

  topic(f) {
    if (f.text === '') this.#topics.delete(f.room);
    else this.#topics.set(f.room, f.text);
    if (f.room === this.#active) this.renderTopic();
  }

  typing(f) {
    const state = this.#rooms.get(f.room);
    if (state === undefined) return;
    state.typing.set(f.nick, Date.now() + TYPING_SHOWN_MS);
    if (f.room === this.#active) this.renderTyping();
  }

  renderTopic() {
    const topic = this.topicOf(this.#active);
    this.#ui.topic.textContent = topic;
    this.#ui.topic.hidden = topic === '';
  }

  renderMembers() {
    const state = this.#rooms.get(this.#active);
    const members = state ? [...state.members.values()] : [];
    members.sort((a, b) => Number(b.op) - Number(a.op) || a.nick.localeCompare(b.nick));
    this.#ui.members.replaceChildren(
      ...members.map((m) => {
        const li = el('li', m.op ? 'member op' : 'member', m.op ? `@${m.nick}` : m.nick);
        if (m.op) li.title = 'room operator';
        return li;
      }),
    );
    this.#ui.memberCount.textContent = state ? String(members.length) : '';
  }

  /** "ann is typing…" for the active room; expired nicks drop out, and a timer runs only while some show. */
  renderTyping() {
    const now = Date.now();
    let any = false;
    for (const state of this.#rooms.values()) {
      for (const [nick, until] of state.typing) if (until <= now) state.typing.delete(nick);
      any ||= state.typing.size > 0;
    }
    const nicks = [...(this.#rooms.get(this.#active)?.typing.keys() ?? [])];
    this.#ui.typing.textContent =
      nicks.length === 0
        ? ''
        : nicks.length === 1
          ? `${nicks[0]} is typing…`
          : nicks.length <= 3
            ? `${nicks.slice(0, -1).join(', ')} and ${nicks.at(-1)} are typing…`
            : 'several people are typing…';
    if (any && this.#typingTimer === null) this.#typingTimer = setInterval(() => this.renderTyping(), 500);
    if (!any && this.#typingTimer !== null) {
      clearInterval(this.#typingTimer);
      this.#typingTimer = null;
    }
  }
}
