/**
 * Protocol-level defaults. The server may tighten or loosen the configurable ones
 * (see apps/server config); everything here is a bound, never a target.
 */

/** Wire protocol version, carried in `hello.v` and `welcome.v`. */
export const PROTOCOL_VERSION = 1;

/** Longest line (TCP) or text frame (WebSocket) accepted, in bytes, terminator excluded. */
export const DEFAULT_MAX_LINE_BYTES = 8 * 1024;

/**
 * Longest message text, in UTF-16 code units. 2,000 × 3 UTF-8 bytes still fits a
 * DEFAULT_MAX_LINE_BYTES line with JSON framing, so a client that sends text unescaped
 * never trips the framing limit (which closes the connection) before the text limit
 * (which does not). Text written as `\u00XX` escapes costs 6 bytes a character and can.
 */
export const DEFAULT_MAX_TEXT_LENGTH = 2000;

/** Nicks: a letter, then letters, digits, `_` or `-`; 1–24 characters; unique case-insensitively. */
export const NICK_PATTERN = '^[A-Za-z][A-Za-z0-9_-]{0,23}$';

/** NICK_PATTERN in words, for people (text-mode errors). limits.test.ts holds it to the pattern. */
export const NICK_RULE = 'a nick is 1 to 24 characters: letters (a-z, A-Z), digits, _ and -, starting with a letter';

/**
 * Rooms: letters, digits, `_`, `-` or `.`, starting with a letter or digit, 1–32 characters.
 * Names are case-insensitive: the codec folds them to lower case, so `General` and
 * `general` are one room.
 */
export const ROOM_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$';

/** ROOM_PATTERN in words, for people (text-mode errors). limits.test.ts holds it to the pattern. */
export const ROOM_RULE =
  'a room name is 1 to 32 characters: letters (a-z, A-Z), digits, _, - and ., starting with a letter or digit';

/** Longest client-chosen correlation id (`id` field) when it is a string. */
export const MAX_ID_LENGTH = 64;

/** Most messages one `history` request can return. */
export const MAX_HISTORY_LIMIT = 1000;

/** Longest kick (or ban) reason, in UTF-16 code units. */
export const MAX_REASON_LENGTH = 200;

/** Longest room topic, in UTF-16 code units (IRC servers commonly allow 307–390 bytes). */
export const MAX_TOPIC_LENGTH = 300;

/** Longest ban or mute, in minutes (a year); without minutes one lasts until lifted. */
export const MAX_BAN_MINUTES = 525_600;

/** Longest slow-mode interval, in seconds. */
export const MAX_SLOW_SECONDS = 3_600;

/**
 * Fewest ms between two `typing` frames of one connection in one room that the server
 * relays (later ones within the interval are dropped: they say nothing new). Clients
 * show a typing nick for a little longer than this unless it is repeated.
 */
export const TYPING_INTERVAL_MS = 2000;
