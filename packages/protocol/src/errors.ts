/**
 * Every error code the protocol can put in an `error` frame, in one place.
 *
 * Codes are stable API: clients branch on `code`, never on `message`. Adding a code is a
 * minor change; renaming or removing one is a protocol version bump. The test
 * `errors.test.ts` checks that each code is documented in the README's table.
 */
export const ErrorCodes = {
  // Framing and decoding (client bytes that cannot become a frame)
  line_too_long: 'line exceeds the maximum line length; the connection is closed',
  invalid_json: 'the line is not valid JSON',
  invalid_frame: 'the frame is not a JSON object, or a field is missing or has the wrong type',
  unknown_type: 'the frame type is not part of the protocol',
  forbidden_key: 'the frame contains a __proto__ or constructor.prototype key',
  text_too_long: 'message text exceeds the maximum length',
  invalid_nick: 'the nick does not match the nick syntax',
  invalid_room: 'the room name does not match the room syntax',
  binary_not_supported: 'WebSocket binary frames are not part of the protocol; send text frames',
  unknown_command: 'text mode: unknown /command; /help lists them',
  missing_argument: 'text mode: the command needs an argument',
  // Session state
  not_registered: 'send hello (text mode: /nick NAME) before anything else',
  unauthorized: 'the token is missing, invalid, expired or for another nick; the connection is closed',
  forbidden: 'this room is private and your token does not grant it',
  already_registered: 'this connection already has a nick',
  nick_taken: 'another connection holds this nick',
  not_in_room: 'join the room first',
  no_such_nick: 'no connected user has this nick',
  too_many_rooms: 'this connection is in the maximum number of rooms, or the server holds the maximum number of rooms',
  filtered: 'the message was rejected by moderation; it was not delivered',
  // Room moderation (issue 16)
  not_op: 'only a room operator (or a server admin) may do this',
  not_admin: 'only a server admin may do this (bans by address)',
  banned: 'you are banned from this room (for the time the ban says, or until an operator lifts it)',
  muted: 'you are muted in this room: you can read but not send; the message was not delivered',
  slow_mode: 'the room is in slow mode: one message per interval per member; the message was not delivered',
  not_member: 'the nick is not a member of this room',
  no_such_message: 'no retained message of this room has that seq (or it is deleted already)',
  not_author: 'only its author or a room operator may delete a message',
  list_full: "the room's ban or mute list is full; lift an entry first",
  // Limits and server policy (the ones marked closing end the connection)
  rate_limited: 'too many frames per second; this frame was dropped',
  slow_consumer: 'the client did not read fast enough; the connection is closed (recover with history)',
  idle_timeout: 'nothing received within the idle timeout; the connection is closed',
  server_full: 'the server is at its connection limit; the connection is closed',
  too_many_connections: 'too many connections from this address; the connection is closed',
  kicked: 'an administrator disconnected this connection; the connection is closed',
  shutdown: 'the server is shutting down; reconnect later (or to another instance)',
  unavailable:
    'the server cannot reach its message bus or store history right now; the frame was not processed (a message was not stored), retry shortly',
  internal: 'unexpected server error; the frame was not processed',
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

/** A protocol violation found while decoding or validating a client line. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly code: ErrorCode,
    message: string = ErrorCodes[code],
    /** The client's correlation id, when the frame was readable enough to have one. */
    readonly id?: string | number,
  ) {
    super(message);
  }
}
