/**
 * The stable codes of the IRC dialect codec, in one place (as errors.ts is for the JSON
 * protocol). They never reach a client as such: the server adapter turns a parse failure
 * into the IRC answer (417 for a long line, 421 for a bad command, nothing for an empty
 * line) and a serialize failure into a bug report. Tests assert `code`, never `message`.
 */
export const IrcErrorCodes = {
  // Parsing a client line
  empty_line: 'the line is empty or only spaces; RFC 2812 §2.3.1 says to ignore it silently',
  line_too_long: 'the line without its tags is over 510 bytes (512 with CR LF, RFC 1459 §2.3)',
  tags_too_long: 'the tags are over 8,191 bytes, @ and the space after them included (IRCv3 message-tags)',
  invalid_tags: 'the tags section is empty or has a key that is not [+][vendor/]name (IRCv3 message-tags)',
  invalid_prefix: 'the line starts with ":" but the prefix is empty',
  missing_command: 'the line has tags or a prefix and nothing after them',
  invalid_command: 'the command is neither letters nor a three-digit numeric (RFC 2812 §2.3.1)',
  forbidden_character: 'the line or a field holds a CR, LF or NUL (RFC 2812 §2.3.1)',
  // Serializing a message (a server bug, never a client's fault)
  too_many_params: 'more than 15 parameters (RFC 2812 §2.3.1)',
  invalid_param: 'a parameter before the last is empty, starts with ":" or holds a space',
} as const;

export type IrcErrorCode = keyof typeof IrcErrorCodes;

/** A failure as a value: the codec never throws on any input. */
export interface IrcCodecError {
  readonly ok: false;
  readonly code: IrcErrorCode;
  readonly message: string;
}

export function ircError(code: IrcErrorCode, message: string = IrcErrorCodes[code]): IrcCodecError {
  return { ok: false, code, message };
}
