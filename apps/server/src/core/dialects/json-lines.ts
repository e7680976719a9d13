/**
 * JSON lines: one JSON frame per line (TCP) or per WebSocket text message, the protocol's
 * canonical form. A TCP connection whose first line starts with `{` speaks it.
 */
import { ErrorCodes, ProtocolError, type ClientFrame } from '@loopchat/protocol';
import type { Dialect, DialectChoice, DialectSession } from '../dialect.js';
import { JSON_LINES } from '../encoded-frame.js';

export const jsonLines: Dialect = {
  mode: 'json',
  renderer: JSON_LINES,
  echoes: false,
  human: false,
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
  probe(session: DialectSession): void {
    session.send({ type: 'ping' });
  },
};

export const jsonLinesChoice: DialectChoice = {
  selects: (firstLine) => firstLine.startsWith('{'),
  open: () => jsonLines,
};
