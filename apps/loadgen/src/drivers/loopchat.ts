/**
 * loopchat's JSON protocol (README "Protocol (v1)"), over TCP (one frame per line) or
 * WebSocket (one frame per text message). The server writes `type` first, so the frame kind
 * is the byte after `{"type":"`; a msg is `{"type":"msg","room":…,"seq":N,"ts":N,"id":N}`.
 * loopchat does not deliver a message back to its sender (hub.ts skips `msg.from`): the
 * sender learns its message's seq from the ack.
 */
import { encodeClientFrame } from '@loopchat/client';
import {
  FRAME_ACK,
  FRAME_ERROR,
  FRAME_MSG,
  FRAME_OTHER,
  FRAME_PING,
  type Driver,
  type DriverName,
  type ParsedFrame,
} from './driver.js';
import { readStringAfter, readTailInts, readUintAfter } from '../engine/frame-scanner.js';

const TYPE_AT = 9; // {"type":"
const SEQ = Buffer.from('"seq":');
const ID = Buffer.from('"id":');
const CODE = Buffer.from('"code":"');

/** seq and id: from the frame's tail (loopchat writes `"seq":N,"ts":N,"id":N}` last), else searched. */
function readSeqAndId(buf: Buffer, s: number, e: number, out: ParsedFrame): void {
  readTailInts(buf, s, e - 1, out);
  if (out.seq < 0) out.seq = readUintAfter(buf, s, e, SEQ);
  if (out.id < 0) out.id = readUintAfter(buf, s, e, ID);
}

export function parseLoopchatFrame(buf: Buffer, s: number, e: number, out: ParsedFrame): void {
  // Not a JSON frame: the server's text greeting of a connection that had not spoken yet
  // (README, Protocol: JSON clients skip lines that do not start with `{`).
  if (buf[s] !== 0x7b /* { */) {
    out.kind = FRAME_OTHER;
    return;
  }
  const c = buf[s + TYPE_AT];
  const c2 = buf[s + TYPE_AT + 1];
  if (c === 0x6d /* m */ && c2 === 0x73 /* s */) {
    // The room is not read: each connection is in one room, so the receiver knows it.
    out.kind = FRAME_MSG;
    readSeqAndId(buf, s, e, out);
  } else if (c === 0x61 /* a */) {
    out.kind = FRAME_ACK;
    readSeqAndId(buf, s, e, out);
  } else if (c === 0x65 /* e */) {
    out.kind = FRAME_ERROR;
    out.code = readStringAfter(buf, s, e, CODE);
    out.id = readUintAfter(buf, s, e, ID);
  } else if (c === 0x70 /* p */ && c2 === 0x69 /* i */) {
    out.kind = FRAME_PING;
  } else {
    out.kind = FRAME_OTHER;
  }
}

function loopchatLike(name: DriverName, transports: Driver['transports'], wsPath: string): Driver {
  return {
    name,
    transports,
    echoesToSender: false,
    acksMessages: true,
    holdsOnly: false,
    wsPath,
    handshake: (nick, room) => [
      [encodeClientFrame({ type: 'hello', nick }), encodeClientFrame({ type: 'join', room, id: 0 })],
    ],
    // The frame without its id, opened up so the engine appends `<id>}` per message.
    msgTemplate: (room, text) => ({
      prefix: `${encodeClientFrame({ type: 'msg', room, text }).slice(0, -1)},"id":`,
      suffix: '}',
    }),
    parse: parseLoopchatFrame,
    // A JSON TCP connection that stays quiet is probed with {"type":"ping"} and closed if silent.
    pong: encodeClientFrame({ type: 'pong' }),
  };
}

export const loopchatDriver: Driver = loopchatLike('loopchat', ['tcp', 'ws'], '/ws');

/**
 * apps/server/bench/peers/naive-ws.ts: a `ws` server on any path that speaks the same
 * hello/join/msg frames, acks with seq and skips the sender, like loopchat.
 */
export const naiveWsDriver: Driver = loopchatLike('naive-ws', ['ws'], '/');

/**
 * apps/server/bench/peers/naive-net.ts: a node:net server speaking the same frames as JSON
 * lines. Its join ack is `{"type":"ack","id":0,"seq":S,"ts":T}` (id first) and its msg
 * `{…,"seq":S,"ts":T,"id":I}`: the tail reader takes both orders. Its welcome carries no seq.
 */
export const naiveNetDriver: Driver = loopchatLike('naive-net', ['tcp'], '/');
