/**
 * The client side's one decoder, the mirror of `encode.ts`: one frame's text (a TCP line or
 * a WebSocket message) as a server frame, or undefined when it is not a JSON object. The
 * server only sends JSON objects, so undefined means a wrong peer (or a text-mode greeting)
 * and a reader skips it rather than fail the connection. Checks no fields: the server is
 * trusted to send the frames it documents.
 */
import type { ServerFrame } from '@loopchat/protocol';

export function decodeServerFrame(text: string): ServerFrame | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return value as ServerFrame;
}
