import { createClientCodec } from '@loopchat/protocol';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { LocalBus } from '../../src/bus/local-bus.js';
import { MemoryStore } from '../../src/history/memory-store.js';
import { resolveConfig, type Config } from '../../src/config.js';
import { ClientSession } from '../../src/core/client-session.js';
import type { ServerContext } from '../../src/core/context.js';
import { EncodedFrame, renderSlot, type FrameRenderer } from '../../src/core/encoded-frame.js';
import { FlushScheduler } from '../../src/core/flush-scheduler.js';
import { Greeter } from '../../src/core/greeter.js';
import { Hub } from '../../src/core/hub.js';
import { ReadThrottle } from '../../src/core/read-throttle.js';
import { Stats } from '../../src/core/stats.js';
import { createModerationFilter } from '../../src/moderation/index.js';
import { ConnectionLimiter } from '../../src/transports/connection-limiter.js';
import { FakeConnection } from '../helpers/fake-connection.js';

/** One server's shared state, in-process, with the local bus: no sockets anywhere. */
function context(overrides: Partial<Config> = {}): ServerContext {
  const config = resolveConfig({ logLevel: 'silent', filter: 'off', ...overrides });
  const stats = new Stats();
  return {
    config,
    codec: createClientCodec({ maxTextLength: config.maxTextLength }),
    hub: new Hub(config, stats, new LocalBus(config, new MemoryStore(config.historySize))),
    flusher: new FlushScheduler(0),
    readThrottle: new ReadThrottle(),
    greeter: new Greeter(0),
    stats,
    limiter: new ConnectionLimiter(config),
    auth: undefined,
    filter: createModerationFilter({ level: 'off' }),
    log: pino({ level: 'silent' }),
    sessions: new Set(),
    shuttingDown: false,
  };
}

function open(
  ctx: ServerContext,
  connection = new FakeConnection(),
): { session: ClientSession; connection: FakeConnection } {
  const session = new ClientSession(ctx, connection);
  ctx.sessions.add(session);
  return { session, connection };
}

const turns = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};
const frames = (connection: FakeConnection) =>
  connection.text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { type: string; id?: unknown; code?: string });

describe('ClientSession', () => {
  it('answers a pipelined hello, join and msg in request order, one write per turn', async () => {
    const { session, connection } = open(context());
    session.onBytes(
      Buffer.from(
        '{"type":"hello","nick":"ann","id":"h"}\n{"type":"join","room":"lobby","id":"j"}\n{"type":"msg","room":"lobby","text":"hi","id":"m"}\n',
      ),
    );
    await turns();
    expect(frames(connection).map((f) => `${f.type} ${String(f.id)}`)).toEqual(['welcome h', 'ack j', 'ack m']);
    expect(connection.writes.length).toBeLessThanOrEqual(3);
    expect(session.mode).toBe('json');
  });

  it('text mode: /quit waits for the answers still on their way, then says bye and ends', async () => {
    const { session, connection } = open(context());
    session.onBytes(Buffer.from('/nick ann\n/join lobby\n/quit\nnever read\n'));
    await turns();
    const lines = connection.text.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('* bye');
    expect(lines.some((line) => line.includes('lobby'))).toBe(true);
    expect(connection.ended).toBe('bye');
    expect(session.isClosing).toBe(true);
    expect(session.mode).toBe('text');
  });

  it('tells a client over its budget why in a last frame, outside the budget, and ends with slow_consumer', async () => {
    const ctx = context({ outboundBudgetBytes: 16_384 });
    const { session, connection } = open(ctx);
    session.onBytes(Buffer.from('{"type":"hello","nick":"ann","id":"h"}\n'));
    await turns();
    connection.writableLength = 16_385;
    session.deliver(new EncodedFrame({ type: 'notice', text: 'x', ts: 1 }));
    expect(connection.ended).toBe('slow_consumer');
    expect(frames(connection).at(-1)).toMatchObject({ type: 'error', code: 'slow_consumer' });
    expect(ctx.stats.drops['slow_consumer']).toBe(1);
    expect(ctx.hub.findNick('ann')).toBeUndefined();
  });

  it("writes through a message transport's own renderer (WebSocket frames), JSON from the first frame", async () => {
    const framed: FrameRenderer = {
      slot: renderSlot(),
      render: (encoded) => Buffer.from(`<${encoded.json().toString().trim()}>`),
    };
    const { session, connection } = open(context(), new FakeConnection('ws', framed));
    session.onMessage('{"type":"ping","id":1}');
    session.onMessage(null);
    await turns();
    expect(connection.text).toMatch(/^<\{"type":"pong","id":1\}><\{"type":"error","code":"binary_not_supported"/);
    expect(session.mode).toBe('json');
  });

  it('probes a quiet JSON client with a ping frame, and a text-mode one not at all', async () => {
    const json = open(context());
    json.session.onBytes(Buffer.from('{"type":"pong"}\n'));
    json.session.probe(Date.now());
    await turns();
    expect(frames(json.connection)).toEqual([{ type: 'ping' }]);

    const text = open(context());
    text.session.onBytes(Buffer.from('/help\n'));
    await turns();
    const before = text.connection.text;
    text.session.probe(Date.now());
    await turns();
    expect(text.connection.text).toBe(before);
    expect(text.connection.probes).toBe(1);
  });

  it('forgets itself everywhere when the transport reports the connection closed', async () => {
    const ctx = context();
    const { session } = open(ctx);
    session.onBytes(Buffer.from('{"type":"hello","nick":"ann","id":"h"}\n{"type":"join","room":"lobby","id":"j"}\n'));
    await turns();
    expect(ctx.hub.rooms.get('lobby')?.members.size).toBe(1);
    ctx.stats.connectionsOpen.tcp = 1;
    session.onClosed();
    expect(ctx.sessions.size).toBe(0);
    expect(ctx.hub.rooms.get('lobby')).toBeUndefined();
    expect(ctx.hub.findNick('ann')).toBeUndefined();
    expect(ctx.stats.connectionsOpen.tcp).toBe(0);
  });
});
