/**
 * IRCv3 chathistory (https://ircv3.net/specs/extensions/chathistory) over loopchat's room
 * history, which is addressed by seq: a msgid is `<room>-<seq>` (irc-render.ts), so every
 * selector becomes a `history {since, limit}` request and a window on its answer.
 *
 *   LATEST #room *        N  → the latest N                     (history {limit: N})
 *   LATEST #room msgid=S  N  → the latest N after S             (latest N, seq > S)
 *   AFTER  #room msgid=S  N  → the first N after S              (history {since: S, limit: N})
 *   BEFORE #room msgid=S  N  → the N before S                   (since S-N-1, seq < S)
 *
 * Timestamps are not selectors here: loopchat orders by seq, and a clock-based selector
 * would need an index history does not keep. AROUND, BETWEEN and TARGETS are not offered.
 */
import {
  MAX_HISTORY_LIMIT,
  channelToRoom,
  parseMessageId,
  renderIrc,
  type HistoryFrame,
  type IrcMessage,
  type IrcRenderContext,
} from '@loopchat/protocol';
import type { IrcRequest } from './irc-dialect.js';

/** A CHATHISTORY command as a history request, or the FAIL that refuses it. */
export type ChathistoryPlan =
  | { readonly ok: true; readonly frame: Record<string, unknown>; readonly request: IrcRequest }
  | { readonly ok: false; readonly fail: IrcMessage };

export function planChathistory(server: string, params: readonly string[]): ChathistoryPlan {
  const [sub = '', target = '', selector = '', limitText = ''] = params;
  const verb = sub.toUpperCase();
  const fail = (code: string, text: string, ...context: string[]): ChathistoryPlan => ({
    ok: false,
    fail: { prefix: server, command: 'FAIL', params: ['CHATHISTORY', code, ...context, text] },
  });
  if (verb !== 'LATEST' && verb !== 'BEFORE' && verb !== 'AFTER')
    return fail('INVALID_PARAMS', 'only LATEST, BEFORE and AFTER are supported', sanitize(verb));
  if (params.length < 4) return fail('NEED_MORE_PARAMS', 'CHATHISTORY needs a target, a selector and a limit', verb);
  const room = channelToRoom(target);
  if (!room.ok) return fail('INVALID_TARGET', 'history is kept for channels only', verb, sanitize(target));
  const limit = Number(limitText);
  if (!Number.isInteger(limit) || limit < 1) return fail('INVALID_PARAMS', 'the limit is not a positive integer', verb);
  const n = Math.min(limit, MAX_HISTORY_LIMIT);
  const request = (window: IrcRequest['window'], since?: number): ChathistoryPlan => ({
    ok: true,
    frame:
      since === undefined
        ? { type: 'history', room: room.name, limit: n }
        : { type: 'history', room: room.name, since, limit: n },
    request:
      window === undefined
        ? { command: 'CHATHISTORY', target, room: room.name }
        : { command: 'CHATHISTORY', target, room: room.name, window },
  });
  if (verb === 'LATEST' && selector === '*') return request(undefined);
  if (!selector.startsWith('msgid='))
    return fail(
      'INVALID_PARAMS',
      'selectors are * (LATEST) or msgid=; timestamps are not supported',
      verb,
      sanitize(selector),
    );
  const ref = parseMessageId(selector.slice('msgid='.length));
  if (ref === undefined || ref.room !== room.name)
    return fail('INVALID_PARAMS', 'the msgid is not a message of this channel', verb, sanitize(selector));
  if (verb === 'LATEST') return request({ after: ref.seq, before: Infinity });
  if (verb === 'AFTER') return request(undefined, ref.seq);
  const since = Math.max(0, ref.seq - n - 1);
  return request({ after: since, before: ref.seq }, since);
}

/** The history answer, cut to the request's window, as a chathistory batch for this reader. */
export function historyAnswer(frame: HistoryFrame, request: IrcRequest | undefined, ctx: IrcRenderContext): IrcMessage[] {
  const window = request?.window;
  const messages =
    window === undefined ? frame.messages : frame.messages.filter((m) => m.seq > window.after && m.seq < window.before);
  // The history answer carries the request id; the batch must not take it for a label.
  return renderIrc({ type: 'history', room: frame.room, messages }, ctx);
}

function sanitize(text: string): string {
  return text.replace(/[^\x21-\x7e]/g, '?').slice(0, 64) || '*';
}
