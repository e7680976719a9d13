/**
 * JSON lines: one JSON frame per line (TCP) or per WebSocket text message, the protocol's
 * canonical form. A TCP connection whose first line starts with `{` speaks it.
 */
import { ErrorCodes, ProtocolError, type ClientFrame, type Id, type ServerFrame } from '@loopchat/protocol';
import type { Dialect, DialectChoice, DialectSession } from '../dialect.js';
import { JSON_LINES, type EncodedFrame } from '../encoded-frame.js';

const NOTHING = Buffer.alloc(0);

export const jsonLines: Dialect = {
  mode: 'json',
  renderer: JSON_LINES,
  human: false,
  membersOnJoin: false,
  maxLineBytes: undefined,
  onLine(line: string, session: DialectSession): void {
    let frame: ClientFrame | ProtocolError;
    try {
      frame = session.ctx.codec.decode(line);
    } catch (err) {
      // decode never throws by contract; if a bug breaks that, one client gets an error, not the process.
      session.ctx.log.error({ err, ip: session.ip }, 'frame decoder threw');
      return session.sendError('internal', ErrorCodes.internal);
    }
    if (frame instanceof ProtocolError) session.sendError(frame.code, frame.message, frame.id);
    else session.handle(frame);
  },
  bytesOf(encoded: EncodedFrame): Buffer {
    return encoded.bytes(JSON_LINES);
  },
  /** An `ack` when the client gave an id; nothing otherwise (programs match answers by id). */
  answer(session: DialectSession, id: Id | undefined, seq: number | undefined): void {
    if (id === undefined) return;
    const ack: ServerFrame =
      seq === undefined ? { type: 'ack', id, ts: Date.now() } : { type: 'ack', id, seq, ts: Date.now() };
    session.send(ack);
  },
  farewell(): Buffer {
    return NOTHING;
  },
  probe(session: DialectSession): void {
    session.send({ type: 'ping' });
  },
};

export const jsonLinesChoice: DialectChoice = {
  selects: (firstLine) => firstLine.startsWith('{'),
  open: () => jsonLines,
};
