/**
 * The bus across hosts: every server instance (or cluster worker) talks to one Redis.
 *
 *   room order + history   one Lua script: INCR the room's seq, XADD the message to the
 *                          room's capped stream (entry id = seq), PUBLISH it — atomically,
 *                          so the order of delivery, the order of history and the seqs agree
 *   fan-out                pub/sub, a channel per room; an instance subscribes while it has
 *                          members there (a separate subscriber connection, as Redis requires)
 *   nicks                  SET NX with a TTL, refreshed while held: a crashed host's nicks
 *                          expire instead of being held forever
 *   member lists           a sorted set per room scored by expiry, refreshed the same way
 *   DMs                    the nick's key names its host; PUBLISH on that host's channel
 *
 * Outage: commands fail at once (no offline queue) and the client gets `unavailable` for
 * anything that needs Redis, so nothing is acknowledged that Redis did not store; /readyz
 * reports not-ready; ioredis reconnects and resubscribes, and cross-host delivery resumes.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { DmFrame, Id, MsgFrame, PresenceFrame } from '@loopchat/protocol';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { BusUnavailableError, type Bus, type BusSink, type RoomSummary } from './bus.js';

/** Seconds a nick or a membership lives in Redis without a refresh. */
const LEASE_SECONDS = 60;
/** How often held nicks and memberships are refreshed. */
const REFRESH_MS = 20_000;

const PUBLISH_SCRIPT = `
local seq = redis.call('INCR', KEYS[1])
local payload = ARGV[2] .. seq .. ARGV[3]
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[4], seq .. '-1', 'm', payload)
redis.call('PUBLISH', ARGV[1], payload)
return seq`;

/** Keeps a lease we hold, re-creates it if Redis lost it, and reports a lease someone else took. */
const RENEW_SCRIPT = `
local v = redis.call('GET', KEYS[1])
if v == false then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) return 1 end
if v == ARGV[1] then redis.call('EXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0`;

const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export interface RedisBusOptions {
  url: string;
  historySize: number;
  /** Rooms larger than this announce no joins and leaves. @default 500 */
  presenceMaxMembers?: number;
  log: Logger;
  /** Key and channel prefix, so several deployments (or tests) can share one Redis. */
  prefix?: string;
}

type RedisWithScripts = Redis & {
  lcPublish(seqKey: string, logKey: string, channel: string, head: string, tail: string, maxlen: number): Promise<number>;
  lcRenew(key: string, owner: string, seconds: number): Promise<number>;
  lcRelease(key: string, owner: string): Promise<number>;
};

export class RedisBus implements Bus {
  readonly kind = 'redis';
  readonly hostId = `${hostname()}-${randomUUID().slice(0, 8)}`;
  readonly #pub: RedisWithScripts;
  readonly #sub: Redis;
  readonly #prefix: string;
  readonly #historySize: number;
  readonly #presenceMaxMembers: number;
  readonly #log: Logger;
  #sink: BusSink | undefined;
  /** nick → rooms, for the nicks this instance holds (refreshed every REFRESH_MS). */
  readonly #held = new Map<string, Set<string>>();
  /** room → nicks of this instance in it; the room's channel is subscribed while non-empty */
  readonly #localRooms = new Map<string, Set<string>>();
  #lastRefresh = Date.now();

  constructor(options: RedisBusOptions) {
    this.#prefix = options.prefix ?? 'loopchat:';
    this.#historySize = Math.max(1, options.historySize);
    this.#presenceMaxMembers = options.presenceMaxMembers ?? 500;
    this.#log = options.log;
    const common: RedisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(2_000, 50 * 2 ** attempt),
      lazyConnect: true,
    };
    this.#pub = new Redis(options.url, { ...common, connectionName: `loopchat-pub-${this.hostId}` }) as RedisWithScripts;
    // The subscriber queues SUBSCRIBE while reconnecting so it can resubscribe by itself.
    this.#sub = new Redis(options.url, {
      ...common,
      enableOfflineQueue: true,
      connectionName: `loopchat-sub-${this.hostId}`,
    });
    this.#pub.defineCommand('lcPublish', { numberOfKeys: 2, lua: PUBLISH_SCRIPT });
    this.#pub.defineCommand('lcRenew', { numberOfKeys: 1, lua: RENEW_SCRIPT });
    this.#pub.defineCommand('lcRelease', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
    this.#sub.on('message', (channel: string, payload: string) => this.#onMessage(channel, payload));
    for (const [name, conn] of [
      ['publisher', this.#pub],
      ['subscriber', this.#sub],
    ] as const) {
      conn.on('error', (err: Error) => this.#log.warn({ err: err.message, conn: name }, 'redis error'));
      conn.on('ready', () => {
        this.#log.info({ conn: name }, 'redis ready');
        // Back from an outage (maybe to an empty Redis): renew every lease now, not in 20 s.
        this.#lastRefresh = 0;
        this.sweep(Date.now());
      });
      conn.on('end', () => this.#log.warn({ conn: name }, 'redis connection ended'));
    }
  }

  /**
   * Starts connecting and waits up to `waitMs` for Redis. A server whose Redis is down
   * still starts (not ready, retrying) rather than refusing to run.
   */
  async connect(waitMs = 3_000): Promise<void> {
    const failed = (err: Error): void => this.#log.error({ err: err.message }, 'redis unreachable; retrying');
    this.#pub.connect().catch(failed);
    this.#sub.connect().catch(failed);
    const subscribed = this.#sub.subscribe(this.#hostChannel(this.hostId));
    const timeout = new Promise((resolve) => setTimeout(resolve, waitMs).unref());
    await Promise.race([subscribed.catch(() => {}), timeout]);
  }

  get ready(): boolean {
    return this.#pub.status === 'ready' && this.#sub.status === 'ready';
  }

  attach(sink: BusSink): void {
    this.#sink = sink;
  }

  async claimNick(nick: string): Promise<boolean> {
    const ok = await this.#call(() => this.#pub.set(this.#nickKey(nick), this.hostId, 'EX', LEASE_SECONDS, 'NX'));
    if (ok === 'OK') this.#held.set(nick, new Set());
    return ok === 'OK';
  }

  release(nick: string, rooms: readonly string[]): void {
    for (const room of rooms) this.leave(room, nick);
    this.#held.delete(nick);
    this.#pub.lcRelease(this.#nickKey(nick), this.hostId).catch(() => {
      // Redis is down: the lease expires by itself within LEASE_SECONDS.
    });
  }

  async join(room: string, nick: string): Promise<number> {
    if (!this.ready) throw new BusUnavailableError('redis unavailable');
    let local = this.#localRooms.get(room);
    const subscribe = local === undefined;
    if (local === undefined) this.#localRooms.set(room, (local = new Set()));
    local.add(nick);
    try {
      // Subscribed before the join is acknowledged: from the ack on, nothing is missed.
      if (subscribe) await this.#call(() => this.#sub.subscribe(this.#roomChannel(room)));
      // The client may have left (or gone) while we waited: then there is nothing to announce.
      if (!this.#localRooms.get(room)?.has(nick)) return 0;
      const expires = Date.now() + LEASE_SECONDS * 1000;
      const results = await this.#call(() =>
        this.#pub
          .multi()
          .zadd(this.#membersKey(room), expires, nick)
          .zadd(this.#roomsKey(), expires, room)
          .get(this.#seqKey(room))
          .zcard(this.#membersKey(room))
          .exec(),
      );
      this.#held.get(nick)?.add(room);
      if (Number(results?.[3]?.[1] ?? 0) <= this.#presenceMaxMembers) this.#announce(room, nick, 'join');
      return Number(results?.[2]?.[1] ?? 0);
    } catch (err) {
      this.#dropLocal(room, nick);
      throw err;
    }
  }

  leave(room: string, nick: string): void {
    this.#held.get(nick)?.delete(room);
    this.#pub
      .multi()
      .zrem(this.#membersKey(room), nick)
      .zcard(this.#membersKey(room))
      .exec()
      .then((results) => {
        const left = Number(results?.[1]?.[1] ?? 0);
        if (left > 0 && left < this.#presenceMaxMembers) this.#announce(room, nick, 'leave');
      })
      .catch(() => {
        // Redis is down: the membership lease expires by itself.
      });
    this.#dropLocal(room, nick);
  }

  async publish(room: string, from: string, text: string, id: Id | undefined): Promise<MsgFrame> {
    const ts = Date.now();
    // The JSON is built here around the seq that only the script knows: the frame every
    // host receives is exactly the stored one.
    const head = `{"type":"msg","room":${JSON.stringify(room)},"from":${JSON.stringify(from)},"text":${JSON.stringify(text)},"seq":`;
    const tail = `,"ts":${ts}${id === undefined ? '' : `,"id":${JSON.stringify(id)}`}}`;
    const seq = await this.#call(() =>
      this.#pub.lcPublish(this.#seqKey(room), this.#logKey(room), this.#roomChannel(room), head, tail, this.#historySize),
    );
    const msg: MsgFrame = { type: 'msg', room, from, text, seq: Number(seq), ts };
    if (id !== undefined) msg.id = id;
    return msg;
  }

  async dm(from: string, to: string, text: string, id: Id | undefined): Promise<DmFrame | undefined> {
    const host = await this.#call(() => this.#pub.get(this.#nickKey(to)));
    if (host === null) return undefined;
    const dm: DmFrame = { type: 'dm', from, to, text, ts: Date.now() };
    if (id !== undefined) dm.id = id;
    const receivers = await this.#call(() => this.#pub.publish(this.#hostChannel(host), JSON.stringify(dm)));
    return receivers > 0 ? dm : undefined;
  }

  async history(room: string, since: number | undefined, limit: number): Promise<MsgFrame[]> {
    const key = this.#logKey(room);
    const entries =
      since === undefined
        ? (await this.#call(() => this.#pub.xrevrange(key, '+', '-', 'COUNT', limit))).reverse()
        : await this.#call(() => this.#pub.xrange(key, String(since + 1), '+', 'COUNT', limit));
    return entries.map(([, fields]) => JSON.parse(fields[1]!) as MsgFrame);
  }

  async members(room: string): Promise<string[]> {
    return this.#call(() => this.#pub.zrangebyscore(this.#membersKey(room), Date.now(), '+inf'));
  }

  async rooms(limit: number): Promise<RoomSummary[]> {
    const now = Date.now();
    const names = await this.#call(() => this.#pub.zrangebyscore(this.#roomsKey(), now, '+inf', 'LIMIT', 0, 1000));
    const pipeline = this.#pub.pipeline();
    for (const room of names) pipeline.zcount(this.#membersKey(room), now, '+inf');
    const counts = (await this.#call(() => pipeline.exec())) ?? [];
    return names
      .map((room, i) => ({ room, members: Number(counts[i]?.[1] ?? 0) }))
      .filter((r) => r.members > 0)
      .sort((a, b) => b.members - a.members)
      .slice(0, limit);
  }

  /** Renews this instance's nick and membership leases (called from the server's sweep). */
  sweep(now: number): void {
    if (now - this.#lastRefresh < REFRESH_MS || !this.ready) return;
    this.#lastRefresh = now;
    const expires = now + LEASE_SECONDS * 1000;
    /** Where each nick's renew answer sits in the pipeline's results. */
    const renewAt: [string, number][] = [];
    let commands = 0;
    const pipeline = this.#pub.pipeline() as ReturnType<Redis['pipeline']> & {
      lcRenew(key: string, owner: string, seconds: number): unknown;
    };
    for (const [nick, rooms] of this.#held) {
      renewAt.push([nick, commands]);
      commands += 1 + 2 * rooms.size;
      pipeline.lcRenew(this.#nickKey(nick), this.hostId, LEASE_SECONDS);
      for (const room of rooms) pipeline.zadd(this.#membersKey(room), expires, nick).zadd(this.#roomsKey(), expires, room);
    }
    pipeline
      .exec()
      .then((results) => {
        // Renew answers 0 when another host took the nick while Redis had forgotten ours
        // (an outage with an empty restart): the local holder must give it up.
        for (const [nick, at] of renewAt) {
          if (results?.[at]?.[1] !== 0) continue;
          this.#log.warn({ nick }, 'nick lease lost to another host; disconnecting the local holder');
          this.#sink?.onNickLost?.(nick);
        }
      })
      .catch((err: Error) => this.#log.warn({ err: err.message }, 'redis lease refresh failed'));
  }

  async close(): Promise<void> {
    for (const [nick, rooms] of this.#held) this.release(nick, [...rooms]);
    await Promise.allSettled([this.#pub.quit(), this.#sub.quit()]);
  }

  #announce(room: string, nick: string, event: PresenceFrame['event']): void {
    const presence: PresenceFrame = { type: 'presence', room, nick, event };
    this.#pub.publish(this.#roomChannel(room), JSON.stringify(presence)).catch(() => {});
  }

  #onMessage(channel: string, payload: string): void {
    const sink = this.#sink;
    if (sink === undefined) return;
    let frame: MsgFrame | PresenceFrame | DmFrame;
    try {
      frame = JSON.parse(payload) as MsgFrame | PresenceFrame | DmFrame;
    } catch {
      this.#log.warn({ channel }, 'unreadable bus payload');
      return;
    }
    if (frame.type === 'msg') sink.onMessage(frame);
    else if (frame.type === 'presence') sink.onPresence(frame);
    else if (frame.type === 'dm') sink.onDm(frame);
  }

  #dropLocal(room: string, nick: string): void {
    const local = this.#localRooms.get(room);
    if (local === undefined) return;
    local.delete(nick);
    if (local.size > 0) return;
    this.#localRooms.delete(room);
    this.#sub.unsubscribe(this.#roomChannel(room)).catch(() => {});
  }

  /** Runs a Redis call; a failure because Redis is unreachable becomes BusUnavailableError. */
  async #call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new BusUnavailableError((err as Error).message);
    }
  }

  #nickKey(nick: string): string {
    return `${this.#prefix}nick:${nick.toLowerCase()}`;
  }
  #seqKey(room: string): string {
    return `${this.#prefix}room:${room}:seq`;
  }
  #logKey(room: string): string {
    return `${this.#prefix}room:${room}:log`;
  }
  #membersKey(room: string): string {
    return `${this.#prefix}room:${room}:members`;
  }
  #roomsKey(): string {
    return `${this.#prefix}rooms`;
  }
  #roomChannel(room: string): string {
    return `${this.#prefix}room:${room}`;
  }
  #hostChannel(host: string): string {
    return `${this.#prefix}host:${host}`;
  }
}
