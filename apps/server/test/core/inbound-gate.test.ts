import { createClientCodec, type ClientFrame, type ErrorCode } from '@loopchat/protocol';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import type { ServerContext } from '../../src/core/context.js';
import { jsonLines } from '../../src/core/dialects/index.js';
import { GateState, InboundGate, MAX_HELD, type GateHost } from '../../src/core/inbound-gate.js';
import { ReadThrottle } from '../../src/core/read-throttle.js';
import type { Room } from '../../src/core/room.js';
import { Stats } from '../../src/core/stats.js';
import { FakeConnection } from '../helpers/fake-connection.js';

/** A session as the gate sees it: records what reaches it, in order. */
class FakeHost implements GateHost {
  readonly seen: string[] = [];
  readonly connection: FakeConnection;
  readonly ctx: ServerContext;
  nick: string | null = 'ann';
  currentRoom: string | null = 'lobby';
  readonly ip = '192.0.2.1';
  gate!: InboundGate;
  clock = 0;

  constructor(transport: 'tcp' | 'ws' = 'tcp') {
    this.connection = new FakeConnection(transport);
    this.ctx = {
      config: resolveConfig({ maxLineBytes: 64 }),
      codec: createClientCodec(),
      stats: new Stats(),
      log: pino({ level: 'silent' }),
      readThrottle: new ReadThrottle(10, () => this.clock),
    } as unknown as ServerContext;
  }

  readonly rooms = new Set<Room>();
  readonly isClosing = false;

  handle(frame: ClientFrame): void {
    this.seen.push(frame.type === 'msg' ? `msg ${frame.text}` : frame.type);
    // As the hello handler does: later input waits for the answer.
    if (frame.type === 'hello') this.gate.hold();
  }
  submit(frame: ClientFrame): void {
    this.handle(frame);
  }
  takeToken(): boolean {
    return true;
  }
  send(): void {}
  deliver(): void {}
  sendError(code: ErrorCode): void {
    this.seen.push(`error ${code}`);
  }
  sendBytes(bytes: Buffer): void {
    this.seen.push(`raw ${bytes.length}`);
  }
  quit(): void {
    this.seen.push('quit');
    this.gate.close();
  }
  onLineTooLong(limit: number): void {
    this.seen.push(`too long (${limit})`);
  }
  onDialect(): void {}
  onBinary(): void {
    this.seen.push('binary');
  }
}

function tcpGate() {
  const host = new FakeHost('tcp');
  host.gate = new InboundGate(host, null);
  return host;
}

function wsGate() {
  const host = new FakeHost('ws');
  host.gate = new InboundGate(host, jsonLines);
  return host;
}

const json = (frame: object) => `${JSON.stringify(frame)}\n`;
const msg = (text: string) => json({ type: 'msg', room: 'lobby', text });
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('InboundGate', () => {
  it('lets a first line starting with { choose JSON lines, and any other text mode', () => {
    const a = tcpGate();
    a.gate.onBytes(Buffer.from(`\n  \n${json({ type: 'ping' })}`));
    expect(a.gate.dialect?.mode).toBe('json');
    expect(a.seen).toEqual(['ping']);

    const b = tcpGate();
    b.gate.onBytes(Buffer.from('/ping\nhello all\n'));
    expect(b.gate.dialect?.mode).toBe('text');
    expect(b.seen).toEqual(['ping', 'msg hello all']);
  });

  it('lets an IRC registration command choose IRC, whose longer lines (tags) then apply', () => {
    const host = tcpGate();
    host.gate.onBytes(Buffer.from(`CAP LS 302\r\n@${'t'.repeat(100)} PING :x\r\n`));
    expect(host.gate.dialect?.mode).toBe('irc');
    expect(host.seen).not.toContainEqual(expect.stringContaining('too long'));
  });

  it('stays undecided through blank lines (a stray newline decides nothing)', () => {
    const host = tcpGate();
    host.gate.onBytes(Buffer.from('\r\n\n'));
    expect(host.gate.state).toBe(GateState.Undecided);
    expect(host.gate.dialect).toBeNull();
  });

  it('hands each line over whole wherever the bytes are split', () => {
    const input = Buffer.from(`${msg('één')}${msg('two')}`);
    for (let cut = 0; cut <= input.length; cut++) {
      const host = tcpGate();
      host.gate.onBytes(input.subarray(0, cut));
      host.gate.onBytes(input.subarray(cut));
      expect(host.seen, `cut at ${cut}`).toEqual(['msg één', 'msg two']);
    }
  });

  it('holds input behind a hello and replays it in order when released', () => {
    const host = tcpGate();
    host.gate.onBytes(Buffer.from(json({ type: 'hello', nick: 'ann' }) + msg('1') + msg('2')));
    expect(host.seen).toEqual(['hello']);
    expect(host.gate.state).toBe(GateState.Holding);
    host.gate.onBytes(Buffer.from(msg('3')));
    expect(host.seen).toEqual(['hello']);
    host.gate.release();
    expect(host.seen).toEqual(['hello', 'msg 1', 'msg 2', 'msg 3']);
    expect(host.gate.state).toBe(GateState.Open);
  });

  it('keeps the rest held when a replayed line is another hello', () => {
    const host = tcpGate();
    host.gate.onBytes(Buffer.from(json({ type: 'hello', nick: 'a' }) + msg('1') + json({ type: 'hello', nick: 'b' }) + msg('2')));
    host.gate.release();
    expect(host.seen).toEqual(['hello', 'msg 1', 'hello']);
    expect(host.gate.state).toBe(GateState.Holding);
    host.gate.release();
    expect(host.seen).toEqual(['hello', 'msg 1', 'hello', 'msg 2']);
  });

  it(`stops reading at ${MAX_HELD} held lines and reads again once released`, () => {
    const host = tcpGate();
    host.gate.onBytes(Buffer.from(json({ type: 'hello', nick: 'ann' })));
    for (let i = 0; i < MAX_HELD - 1; i++) host.gate.onBytes(Buffer.from(msg(String(i))));
    expect(host.connection.paused).toBe(false);
    host.gate.onBytes(Buffer.from(msg('last')));
    expect(host.connection.paused).toBe(true);
    host.gate.release();
    expect(host.connection.paused).toBe(false);
    expect(host.seen).toHaveLength(MAX_HELD + 1);
  });

  it('keeps a chunk and pauses reading once the turn has spent its read budget, then handles it in its turn', async () => {
    const host = tcpGate();
    host.gate.onBytes(Buffer.from(msg('1')));
    host.clock = 11; // past the 10 ms budget of this turn
    host.gate.onBytes(Buffer.from(msg('2')));
    expect(host.gate.state).toBe(GateState.WaitingForTurn);
    expect(host.connection.paused).toBe(true);
    expect(host.ctx.stats.readsDeferred).toBe(1);
    expect(host.seen).toEqual(['msg 1']);
    await turn();
    expect(host.seen).toEqual(['msg 1', 'msg 2']);
    expect(host.connection.paused).toBe(false);
    expect(host.gate.state).toBe(GateState.Open);
  });

  it('goes back to holding after its turn when a hello was pending, and stays paused if the hold is full', async () => {
    const host = tcpGate();
    host.gate.onBytes(Buffer.from(json({ type: 'hello', nick: 'ann' })));
    host.clock = 11;
    let lines = '';
    for (let i = 0; i < MAX_HELD; i++) lines += msg(String(i));
    host.gate.onBytes(Buffer.from(lines));
    await turn();
    expect(host.gate.state).toBe(GateState.Holding);
    expect(host.connection.paused).toBe(true);
    host.gate.release();
    expect(host.connection.paused).toBe(false);
    expect(host.seen).toHaveLength(MAX_HELD + 1);
  });

  it('WebSocket: queues messages behind one that waits for its turn, binary ones in their place', async () => {
    const host = wsGate();
    host.clock = 0;
    host.gate.onMessage('{"type":"ping"}');
    host.clock = 11;
    host.gate.onMessage('{"type":"ping"}');
    host.clock = 0;
    host.gate.onMessage(null);
    host.gate.onMessage('{"type":"rooms"}');
    expect(host.seen).toEqual(['ping']);
    await turn();
    expect(host.seen).toEqual(['ping', 'ping', 'binary', 'rooms']);
    expect(host.ctx.stats.framesIn.ws).toBe(4);
  });

  it('closes on a line over the limit and ignores what follows', () => {
    const host = tcpGate();
    host.gate.onBytes(Buffer.from(`${'x'.repeat(65)}\n${msg('after')}`));
    expect(host.seen).toEqual(['too long (64)']);
    expect(host.gate.state).toBe(GateState.Closed);
    host.gate.onBytes(Buffer.from(msg('later')));
    expect(host.seen).toEqual(['too long (64)']);
  });

  it('reads nothing after /quit, even the rest of the same chunk', () => {
    const host = tcpGate();
    host.gate.onBytes(Buffer.from('/quit\nstill here\n'));
    expect(host.seen).toEqual(['quit']);
  });
});
