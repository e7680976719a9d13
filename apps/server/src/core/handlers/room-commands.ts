/**
 * Handlers for the room commands of issue 16 (nick change, topic, operators' commands).
 * Placeholder while the core operations land: each answers that it is not served yet.
 */
import type { ClientFrameOf } from '@loopchat/protocol';
import type { Session } from '../session.js';

type RoomCommandType = 'nick' | 'op' | 'deop' | 'kick' | 'ban' | 'unban' | 'mute' | 'unmute' | 'slow' | 'delete' | 'topic';

function notYet(session: Session, frame: { type: string; id?: string | number }): void {
  session.sendError('unknown_type', `"${frame.type}" is not served by this server yet`, frame.id);
}

export const roomCommandHandlers: { [K in RoomCommandType]: (session: Session, frame: ClientFrameOf<K>) => void } = {
  nick: notYet,
  op: notYet,
  deop: notYet,
  kick: notYet,
  ban: notYet,
  unban: notYet,
  mute: notYet,
  unmute: notYet,
  slow: notYet,
  delete: notYet,
  topic: notYet,
};
