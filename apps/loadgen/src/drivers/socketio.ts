/**
 * Socket.IO 4 spoken over a raw WebSocket (no socket.io-client: the client must stay lean).
 * URL: ws://host:port/socket.io/?EIO=4&transport=websocket. Each WebSocket text message is
 * one engine.io packet; the first character is its type:
 *
 *   server → `0{"sid":…,"pingInterval":…}`   engine.io open
 *   client → `40`                            socket.io CONNECT to namespace "/"
 *   server → `40{"sid":…}`                   connected: now events are accepted (events sent
 *                                            earlier may be dropped by the server)
 *   server → `2`  client → `3`               engine.io ping / pong (the server pings)
 *   `42["event",payload]`                    socket.io EVENT
 *
 * The loopchat-shaped contract, served by apps/server/bench/peers/socketio.ts (events on the
 * default namespace):
 *
 *   client emits                  server emits
 *   hello {nick}              →   welcome {nick, server}                  to the sender
 *   join  {room}              →   joined  {room, seq?}                    to the sender (seq: the
 *                                                                         room's latest; absent = 0)
 *   msg   {room, text, id}    →   ack {id, seq}                           to the sender
 *                                 msg {room, from, text, id, seq, ts}     to the room, sender included
 *                                 (`io.to(room).emit`)
 *   a refused frame may get       error {code, message, id?}
 *
 * Because the sender gets its own msg back, every member (sender included) expects every seq.
 */
import {
  FRAME_ACK,
  FRAME_ERROR,
  FRAME_MSG,
  FRAME_OTHER,
  FRAME_PING,
  FRAME_STEP,
  type Driver,
  type ParsedFrame,
} from './driver.js';
import { readStringAfter, readTailInts, readUintAfter } from '../engine/frame-scanner.js';

const EVENT = Buffer.from('42["');
const SEQ = Buffer.from('"seq":');
const ID = Buffer.from('"id":');
const CODE = Buffer.from('"code":"');

export function parseSocketIoPacket(buf: Buffer, s: number, e: number, out: ParsedFrame): void {
  const t = buf[s];
  if (t === 0x32 /* 2: ping */ && e - s === 1) {
    out.kind = FRAME_PING;
    return;
  }
  if (t === 0x34 /* 4: message */ && buf[s + 1] === 0x30 /* 0: CONNECT */) {
    out.kind = FRAME_STEP;
    return;
  }
  if (e - s < 8 || buf.compare(EVENT, 0, EVENT.length, s, s + EVENT.length) !== 0) {
    out.kind = FRAME_OTHER;
    return;
  }
  // 42["msg", 42["ack", 42["joined", 42["error"
  const n = s + EVENT.length;
  const c = buf[n];
  if (c === 0x6d /* m */ && buf[n + 3] === 0x22) {
    out.kind = FRAME_MSG;
    // `…}]`: the payload object closes one byte before the end.
    readTailInts(buf, s, e - 2, out);
    if (out.seq < 0) out.seq = readUintAfter(buf, s, e, SEQ);
    if (out.id < 0) out.id = readUintAfter(buf, s, e, ID);
  } else if (c === 0x61 /* a */) {
    out.kind = FRAME_ACK;
    readTailInts(buf, s, e - 2, out);
    if (out.seq < 0) out.seq = readUintAfter(buf, s, e, SEQ);
    if (out.id < 0) out.id = readUintAfter(buf, s, e, ID);
  } else if (c === 0x6a /* j */) {
    // joined: the join's answer (id 0), with the room's latest seq when the server gives one.
    out.kind = FRAME_ACK;
    out.id = 0;
    out.seq = Math.max(0, readUintAfter(buf, s, e, SEQ));
  } else if (c === 0x65 /* e */) {
    out.kind = FRAME_ERROR;
    out.code = readStringAfter(buf, s, e, CODE);
    out.id = readUintAfter(buf, s, e, ID);
  } else {
    out.kind = FRAME_OTHER;
  }
}

export const socketIoDriver: Driver = {
  name: 'socketio',
  transports: ['ws'],
  echoesToSender: true,
  acksMessages: true,
  holdsOnly: false,
  wsPath: '/socket.io/?EIO=4&transport=websocket',
  handshake: (nick, room) => [['40'], [`42["hello",${JSON.stringify({ nick })}]`, `42["join",${JSON.stringify({ room })}]`]],
  msgTemplate: (room, text) => ({
    prefix: `42["msg",{"room":${JSON.stringify(room)},"text":${JSON.stringify(text)},"id":`,
    suffix: '}]',
  }),
  parse: parseSocketIoPacket,
  pong: '3',
};
