/** WebSocket frame opcodes (RFC 6455 §5.2): 0x0–0x2 data, 0x8–0xA control (§5.5), the rest reserved. */
export const Opcode = Object.freeze({
  CONTINUATION: 0x0,
  TEXT: 0x1,
  BINARY: 0x2,
  CLOSE: 0x8,
  PING: 0x9,
  PONG: 0xa,
});
