/**
 * What a client hears when a bus request fails: the error code for why, never a stack.
 * Shared by every frame handler (handlers.ts, handlers/*.ts).
 */
import type { Id } from '@loopchat/protocol';
import { BusUnavailableError, RoomLimitError, RoomRefusedError } from '../../errors.js';
import type { Session } from '../session.js';

/** The rejection handler for a bus request: the client hears why, by code. */
export function failed(session: Session, id: Id | undefined, then?: () => void): (err: unknown) => void {
  return (err) => {
    if (err instanceof RoomLimitError) {
      const most = session.ctx.config.maxRooms;
      session.sendError('too_many_rooms', `the server holds ${most} rooms, its most; try again later`, id);
    } else if (err instanceof RoomRefusedError) session.sendError(err.refusal, refusalMessage(err), id);
    else if (err instanceof BusUnavailableError) session.sendError('unavailable', undefined, id);
    else {
      session.ctx.log.error({ err }, 'bus request failed');
      session.sendError('internal', undefined, id);
    }
    then?.();
  };
}

/** The room's word when it said why; the code's description otherwise. */
function refusalMessage(err: RoomRefusedError): string | undefined {
  return err.message === err.refusal ? undefined : err.message;
}
