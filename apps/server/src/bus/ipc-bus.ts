/**
 * The bus of a cluster worker: every decision is a request to the primary (which runs the
 * one ChatState), batched per event-loop turn; events for this worker's members come back
 * the same way. Requests and answers travel in order on one IPC channel, so a client's
 * frames keep their order (join before msg, msg 1 before msg 2).
 */
import type { DmFrame, Id, MsgFrame } from '@loopchat/protocol';
import type { GatherKind, PrimaryItem, ToPrimary, ToWorker, WorkerRequest } from '../cluster/ipc-protocol.js';
import { isLoopchatMessage } from '../cluster/ipc-protocol.js';
import { BusUnavailableError, RoomLimitError, type Bus, type BusSink, type RoomSummary } from './bus.js';

type Pending = { resolve: (value: never) => void; reject: (err: Error) => void };
/** Requests without `rid`: fire-and-forget. */
type Request = WorkerRequest extends infer R ? (R extends { rid: number } ? Omit<R, 'rid'> : never) : never;

export interface IpcChannel {
  send(message: ToPrimary): void;
  on(event: 'message', listener: (message: unknown) => void): void;
  removeListener(event: 'message', listener: (message: unknown) => void): void;
  readonly connected: boolean;
}

export class IpcBus implements Bus {
  readonly kind = 'ipc';
  readonly #channel: IpcChannel;
  readonly #pending = new Map<number, Pending>();
  #outbox: WorkerRequest[] = [];
  #nextRid = 1;
  #sink: BusSink | undefined;
  /** Answers the primary's "collect" requests (this worker's stats or metrics). */
  collector: ((what: GatherKind) => Promise<unknown>) | undefined;
  readonly #onMessage = (message: unknown): void => this.#receive(message);

  constructor(channel: IpcChannel) {
    this.#channel = channel;
    channel.on('message', this.#onMessage);
  }

  get ready(): boolean {
    return this.#channel.connected;
  }

  attach(sink: BusSink): void {
    this.#sink = sink;
  }

  claimNick(nick: string): Promise<boolean> {
    return this.#request({ op: 'claim', nick });
  }

  release(nick: string, rooms: readonly string[]): void {
    this.#post({ op: 'release', nick, rooms: [...rooms] });
  }

  join(room: string, nick: string): Promise<number> {
    return this.#request({ op: 'join', room, nick });
  }

  leave(room: string, nick: string): void {
    this.#post({ op: 'leave', room, nick });
  }

  publish(room: string, from: string, text: string, id: Id | undefined): Promise<MsgFrame> {
    return this.#request(id === undefined ? { op: 'pub', room, from, text } : { op: 'pub', room, from, text, id });
  }

  dm(from: string, to: string, text: string, id: Id | undefined): Promise<DmFrame | undefined> {
    const request: Request = id === undefined ? { op: 'dm', from, to, text } : { op: 'dm', from, to, text, id };
    // JSON has no undefined: "not connected" travels as null.
    return this.#request<DmFrame | null>(request).then((dm) => dm ?? undefined);
  }

  history(room: string, since: number | undefined, limit: number): Promise<MsgFrame[]> {
    return this.#request(since === undefined ? { op: 'history', room, limit } : { op: 'history', room, since, limit });
  }

  members(room: string): Promise<string[]> {
    return this.#request({ op: 'members', room });
  }

  rooms(limit: number): Promise<RoomSummary[]> {
    return this.#request({ op: 'rooms', limit });
  }

  /** Cluster-wide view: the primary asks every worker and returns their answers. */
  gather(what: GatherKind): Promise<unknown[]> {
    return this.#request({ op: 'gather', what });
  }

  sweep(): void {
    // The primary owns room expiry.
  }

  close(): Promise<void> {
    this.#flush();
    this.#channel.removeListener('message', this.#onMessage);
    for (const pending of this.#pending.values()) pending.reject(new BusUnavailableError('worker closing'));
    this.#pending.clear();
    return Promise.resolve();
  }

  #request<T>(request: Request): Promise<T> {
    if (!this.#channel.connected) return Promise.reject(new BusUnavailableError('primary unreachable'));
    const rid = this.#nextRid++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(rid, { resolve: resolve as (value: never) => void, reject });
      this.#post({ ...request, rid } as WorkerRequest);
    });
  }

  #post(request: WorkerRequest): void {
    if (this.#outbox.length === 0) setImmediate(flushOutbox, this);
    this.#outbox.push(request);
  }

  /** @internal */
  flushOutbox(): void {
    this.#flush();
  }

  #flush(): void {
    if (this.#outbox.length === 0 || !this.#channel.connected) return;
    const reqs = this.#outbox;
    this.#outbox = [];
    this.#channel.send({ t: 'batch', reqs });
  }

  #receive(message: unknown): void {
    if (!isLoopchatMessage(message)) return;
    const m = message as ToWorker;
    if (m.t === 'collect') {
      const collect = this.collector?.(m.what) ?? Promise.resolve(null);
      void collect.then(
        (data) => this.#channel.connected && this.#channel.send({ t: 'collected', cid: m.cid, data }),
        () => this.#channel.connected && this.#channel.send({ t: 'collected', cid: m.cid, data: null }),
      );
      return;
    }
    if (m.t !== 'batch') return;
    for (const item of m.items) this.#apply(item);
  }

  #take(rid: number): Pending | undefined {
    const pending = this.#pending.get(rid);
    if (pending !== undefined) this.#pending.delete(rid);
    return pending;
  }

  #apply(item: PrimaryItem): void {
    if ('ev' in item) {
      const sink = this.#sink!;
      const event = item.ev;
      if (event.t === 'msg') sink.onMessage(event.msg);
      else if (event.t === 'presence') sink.onPresence(event.p);
      else sink.onDm(event.dm);
      if (item.rid !== undefined && event.t === 'msg') this.#take(item.rid)?.resolve(event.msg as never);
      return;
    }
    const pending = this.#take(item.rid);
    if (pending === undefined) return;
    if ('ok' in item) pending.resolve(item.ok as never);
    else pending.reject(item.err === 'too_many_rooms' ? new RoomLimitError() : new Error(`primary: ${item.err}`));
  }
}

function flushOutbox(bus: IpcBus): void {
  bus.flushOutbox();
}
