/**
 * Every error the server's own code throws, in one place (issue 13, item 4), each with a
 * stable `code`: branch on the class or the code, never on the message. What a *client*
 * hears is a protocol code (packages/protocol/src/errors.ts); these are the errors between
 * the server's layers, and where each one ends up:
 *
 *   code              class                thrown by                      becomes
 *   CONFIG_INVALID    ConfigError          config.ts, cli.ts              `invalid configuration: …`, exit 2
 *   BUS_UNAVAILABLE   BusUnavailableError  every bus (Redis down,         `unavailable` (core/handlers/bus-failure.ts);
 *                                          the primary unreachable)       /readyz not ready
 *   ROOM_LIMIT        RoomLimitError       LocalBus, IpcBus (maxRooms)    `too_many_rooms`
 *   ROOM_REFUSED      RoomRefusedError     room rules (bus/room-rules.ts) the refusal's own code (`muted`, `banned`…)
 *   HISTORY_*         HistoryStoreError    history/                       one startup line (startup-error.ts), or
 *                                                                         `unavailable` for a failed commit
 *   FILTER_*          ModerationError      moderation/                    one startup line (bad filter option or term list)
 *
 * The history store and the moderation filter keep their code tables beside their code
 * (history/errors.ts, moderation/errors.ts); they are re-exported here so this is the one
 * module to import a server error from. Socket and listen errors (EADDRINUSE…) are Node's,
 * turned into one line by startup-error.ts.
 */
import type { RoomRefusal } from './bus/room-commands.js';
import { HistoryErrorCodes } from './history/errors.js';
import { ModerationErrorCodes } from './moderation/errors.js';

export { HistoryErrorCodes, HistoryStoreError, type HistoryErrorCode } from './history/errors.js';
export { ModerationErrorCodes, ModerationError, type ModerationErrorCode } from './moderation/errors.js';

/** The codes of the errors defined in this file, with what each means. */
export const ServerErrorCodes = {
  CONFIG_INVALID: 'a configuration value (flag or environment variable) is missing or out of range',
  BUS_UNAVAILABLE: 'the bus cannot decide: Redis is down or the cluster primary is unreachable',
  ROOM_LIMIT: 'the room cap (maxRooms) is reached and no empty room can be evicted',
  ROOM_REFUSED: "the room's rules refused a publish, a join or a room command",
} as const;

export type ServerErrorCode = keyof typeof ServerErrorCodes;

/** Every code a server error can carry: this file's, the history store's and the filter's. */
export const ALL_SERVER_ERROR_CODES: readonly string[] = Object.freeze([
  ...Object.keys(ServerErrorCodes),
  ...Object.keys(HistoryErrorCodes),
  ...Object.keys(ModerationErrorCodes),
]);

/** What every error here shares: a stable code, and its class's name as `name`. */
abstract class ServerError extends Error {
  abstract readonly code: ServerErrorCode;
  override get name(): string {
    return this.constructor.name;
  }
}

/** A bad configuration value: one clear line at startup, never a half-started server. */
export class ConfigError extends ServerError {
  readonly code = 'CONFIG_INVALID';
}

/** Thrown (as a rejected promise) when the bus cannot decide: the client gets `unavailable`. */
export class BusUnavailableError extends ServerError {
  readonly code = 'BUS_UNAVAILABLE';
}

/** The room cap (maxRooms) is reached and no empty room can be evicted: `too_many_rooms`. */
export class RoomLimitError extends ServerError {
  readonly code = 'ROOM_LIMIT';
}

/** A refusal as a rejected bus request (a publish or join the room's rules refused). */
export class RoomRefusedError extends ServerError {
  readonly code = 'ROOM_REFUSED';
  constructor(
    readonly refusal: RoomRefusal,
    message?: string,
  ) {
    super(message ?? refusal);
  }
}
