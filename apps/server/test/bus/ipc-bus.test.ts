/**
 * IpcBus against a scripted primary (a fake IPC channel): requests are batched per turn, and
 * a published message comes back once, as the event for local members carrying the answer.
 */
import { EventEmitter } from 'node:events';
import type { DmFrame, MsgFrame, PresenceFrame } from '@loopchat/protocol';
import { describe, expect, it } from 'vitest';
import { IpcBus, type IpcChannel } from '../../src/bus/ipc-bus.js';
import type { ToPrimary, ToWorker, WorkerRequest } from '../../src/cluster/ipc-protocol.js';

class FakeChannel extends EventEmitter implements IpcChannel {
  readonly sent: ToPrimary[] = [];
  connected = true;
  send(message: ToPrimary): void {
    this.sent.push(message);
  }
  fromPrimary(message: ToWorker): void {
    this.emit('message', message);
  }
  requests(): WorkerRequest[] {
    return this.sent.flatMap((m) => (m.t === 'batch' ? m.reqs : []));
  }
}

function sinkRecorder() {
  const messages: MsgFrame[] = [];
  return {
    messages,
    onMessage: (msg: MsgFrame) => messages.push(msg),
    onPresence: (_p: PresenceFrame) => {},
    onDm: (_d: DmFrame) => {},
  };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('IpcBus', () => {
  it('sends every request made in one turn in a single batch, in order', async () => {
    const channel = new FakeChannel();
    const bus = new IpcBus(channel);
    bus.attach(sinkRecorder());
    void bus.publish('r', 'ann', 'one', 1);
    void bus.publish('r', 'ann', 'two', 2);
    bus.leave('r', 'ann');
    await turn();
    expect(channel.sent).toHaveLength(1);
    expect(channel.requests().map((r) => r.op)).toEqual(['pub', 'pub', 'leave']);
  });

  it('resolves a publish from the event that carries its rid, delivering the message once', async () => {
    const channel = new FakeChannel();
    const bus = new IpcBus(channel);
    const sink = sinkRecorder();
    bus.attach(sink);
    const published = bus.publish('r', 'ann', 'hi', 'a1');
    await turn();
    const [request] = channel.requests();
    expect(request?.op).toBe('pub');
    const msg: MsgFrame = { type: 'msg', room: 'r', from: 'ann', text: 'hi', seq: 7, ts: 1, id: 'a1' };
    channel.fromPrimary({ t: 'batch', items: [{ ev: { t: 'msg', msg }, rid: (request as { rid: number }).rid }] });
    await expect(published).resolves.toEqual(msg);
    expect(sink.messages).toEqual([msg]);
  });

  it('still resolves a publish answered on its own (the sender left the room meanwhile)', async () => {
    const channel = new FakeChannel();
    const bus = new IpcBus(channel);
    const sink = sinkRecorder();
    bus.attach(sink);
    const published = bus.publish('r', 'ann', 'hi', undefined);
    await turn();
    const rid = (channel.requests()[0] as { rid: number }).rid;
    const msg: MsgFrame = { type: 'msg', room: 'r', from: 'ann', text: 'hi', seq: 1, ts: 1 };
    channel.fromPrimary({ t: 'batch', items: [{ rid, ok: msg }] });
    await expect(published).resolves.toEqual(msg);
    expect(sink.messages).toEqual([]);
  });

  it('rejects pending requests when it closes', async () => {
    const channel = new FakeChannel();
    const bus = new IpcBus(channel);
    bus.attach(sinkRecorder());
    const published = bus.publish('r', 'ann', 'hi', undefined);
    await bus.close();
    await expect(published).rejects.toThrow(/closing/);
  });
});
