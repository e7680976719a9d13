/**
 * The client side's one encoder: a client frame as its JSON text (one TCP line without the
 * `\n`, or one WebSocket message). `ChatClient` writes every frame through it and the
 * loadgen builds its templates with it. Kept here rather than in `@loopchat/protocol` so
 * that the browser loads no runtime module beyond this package.
 */
import type { ClientFrame } from '@loopchat/protocol';

export function encodeClientFrame(frame: ClientFrame): string {
  return JSON.stringify(frame);
}
