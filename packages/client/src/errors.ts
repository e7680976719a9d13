/**
 * Every error the client rejects a request with, in one place.
 *
 * A request fails either because the server answered `error {code}` (the code is one of the
 * protocol's, see `ErrorCodes` in @loopchat/protocol) or because the client itself gave up:
 * the codes below. Codes are stable API: branch on `code`, never on `message`. The test
 * `errors.test.ts` checks that each client code is documented in packages/client/README.md.
 */
import type { ErrorCode, ErrorFrame } from '@loopchat/protocol';

/** The codes the client itself rejects with, each with its default message. */
export const ClientErrorCodes = {
  timeout: 'no answer within the request timeout',
  too_many_pending: 'the maximum number of requests is already waiting for an answer',
  not_connected: 'the client has no open connection (it is connecting, reconnecting or closed)',
  disconnected: 'the connection closed before the answer arrived; the request may or may not have been processed',
  closed: 'close() was called',
  connect_failed: 'the transport could not open a connection',
  invalid_argument: 'an option or argument is out of range',
} as const;

/** A code from {@link ClientErrorCodes}. */
export type ClientErrorCode = keyof typeof ClientErrorCodes;

/** A request that failed: `code` says why, `frame` holds the server's error frame if it sent one. */
export class ClientError extends Error {
  override readonly name = 'ClientError';
  constructor(
    readonly code: ClientErrorCode | ErrorCode,
    message: string = code in ClientErrorCodes ? ClientErrorCodes[code as ClientErrorCode] : code,
    /** The server's `error` frame, when the server refused the request. */
    readonly frame?: ErrorFrame,
  ) {
    super(message);
  }

  /** The rejection for a server `error` frame. */
  static fromFrame(frame: ErrorFrame): ClientError {
    return new ClientError(frame.code as ErrorCode, frame.message, frame);
  }
}
