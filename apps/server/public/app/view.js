// DOM helpers for the chat page. All user text goes in with textContent, never as HTML.

export const $ = (id) => document.getElementById(id);

export function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A line's parts as nodes: strings as text, [text, class] pairs as spans. */
export function spans(parts) {
  return parts.map((p) => (typeof p === 'string' ? p : el('span', p[1], p[0])));
}

export function clock(ts) {
  return new Date(ts || Date.now()).toTimeString().slice(0, 5);
}

/** Lines kept per room (and for lines of no room): the page's memory stays bounded. */
export const MAX_LINES = 500;

/**
 * The message log: one list for every room, each line tagged with its room (`data-room`)
 * and shown while that room's tab is active; lines of no room (errors, DMs, connection
 * news) show on every tab.
 */
export class Log {
  #list;
  #active = null;
  /** room ('' for none) → its lines, oldest first */
  #counts = new Map();

  constructor(list) {
    this.#list = list;
  }

  /** Adds a line: `parts` are strings or [text, class] pairs; `before` places it above a later one. */
  add(cls, parts, { ts, room, seq, before } = {}) {
    const li = el('li', cls);
    li.append(el('span', 'time', clock(ts)), ...spans(parts));
    if (room) li.dataset.room = room;
    if (seq !== undefined) li.dataset.seq = String(seq);
    li.hidden = Boolean(room) && room !== this.#active;
    const stick = this.#atBottom();
    this.#list.insertBefore(li, before || null);
    if (stick) this.#list.scrollTop = this.#list.scrollHeight;
    this.#trim(room || '');
    return li;
  }

  /** The line of message `seq` in `room`, or the first line after it (for placing earlier ones). */
  find(room, seq, after = false) {
    for (const li of this.#list.children) {
      if (li.dataset.room !== room || li.dataset.seq === undefined) continue;
      const s = Number(li.dataset.seq);
      if (after ? s > seq : s === seq) return li;
    }
    return null;
  }

  show(room) {
    this.#active = room;
    for (const li of this.#list.children) li.hidden = li.dataset.room !== undefined && li.dataset.room !== room;
    this.#list.scrollTop = this.#list.scrollHeight;
  }

  #atBottom() {
    const l = this.#list;
    return l.scrollHeight - l.scrollTop - l.clientHeight < 40;
  }

  #trim(room) {
    const count = (this.#counts.get(room) || 0) + 1;
    this.#counts.set(room, count);
    if (count <= MAX_LINES) return;
    for (const li of this.#list.children) {
      if ((li.dataset.room || '') !== room) continue;
      li.remove();
      this.#counts.set(room, count - 1);
      return;
    }
  }
}
