/**
 * Human text mode, for `nc` and telnet: slash commands in (parsed by the protocol's
 * parseTextLine into the frames JSON clients send), readable lines out (renderText). Any
 * first line that no other dialect claims chooses it, so it is last in LINE_DIALECTS.
 */
import { TEXT_HELP, parseTextLine, renderText, type Id, type ServerFrame } from '@loopchat/protocol';
import type { Dialect, DialectChoice, DialectSession } from '../dialect.js';
import { EncodedFrame, renderSlot, type FrameRenderer } from '../encoded-frame.js';

const HELP_BYTES = Buffer.from(`${TEXT_HELP}\n`);
const BYE_BYTES = Buffer.from('* bye\n');
const EMPTY = Buffer.alloc(0);

/** Readable lines, control characters stripped; DMs read differently for each viewer. */
export const TEXT_LINES: FrameRenderer = {
  slot: renderSlot(),
  render(encoded) {
    const text = renderText(encoded.frame, encoded.viewer);
    return text === '' ? EMPTY : Buffer.from(text);
  },
};

export const textMode: Dialect = {
  mode: 'text',
  renderer: TEXT_LINES,
  human: true,
  membersOnJoin: true,
  maxLineBytes: undefined,
  onLine(line: string, session: DialectSession): void {
    const command = parseTextLine(line, session.currentRoom, session.ctx.codec, session.nick !== null);
    switch (command.kind) {
      case 'frame':
        return session.handle(command.frame);
      case 'error':
        return session.sendError(command.error.code, command.error.message);
      case 'help':
        return session.sendBytes(HELP_BYTES);
      case 'quit':
        // Answers still on their way from the bus go out first, then the goodbye.
        return session.quit();
      case 'empty':
        return;
    }
  },
  bytesOf(encoded: EncodedFrame): Buffer {
    return encoded.bytes(TEXT_LINES);
  },
  /** Every command is answered, ids or not: its echo (the message, the join…) or `* ok`. */
  answer(session: DialectSession, _id: Id | undefined, _seq: number | undefined, echo?: ServerFrame | EncodedFrame): void {
    if (echo instanceof EncodedFrame) session.deliver(echo);
    else session.send(echo ?? { type: 'ack', id: 0, ts: Date.now() });
  },
  farewell(): Buffer {
    return BYE_BYTES;
  },
  probe(): void {
    // A human cannot answer pings; TCP keepalive and textIdleTimeoutMs cover it.
  },
};

export const textModeChoice: DialectChoice = {
  selects: () => true,
  open: () => textMode,
};
