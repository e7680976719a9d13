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
 *   read markers           a hash per room, lower-case nick → seq, capped by a script
 *
 * Redis Cluster (REDIS_CLUSTER_NODES): the same bus on an ioredis `Cluster`. Every key and
 * the channel of one room carry the hash tag `{room:<room>}`, so they share one slot and the
 * publish script runs on the shard that owns it; fan-out is sharded pub/sub (SPUBLISH,
 * SSUBSCRIBE: a message travels only within its shard), DMs go to `{host:<id>}`. Nothing
 * spans two slots: what touches the rooms index is sent apart from the room's keys.
 *
 * Outage: commands fail at once (no offline queue) and the client gets `unavailable` for
 * anything that needs Redis, so nothing is acknowledged that Redis did not store; /readyz
 * reports not-ready; ioredis reconnects and resubscribes, and cross-host delivery resumes.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { hostname } from 'node:os';
import { finishMsgLine, readMsgLine, type DmFrame, type Id, type PresenceFrame, type TypingFrame } from '@loopchat/protocol';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { HistoryQuery } from '../history/history-store.js';
import { MAX_READ_MARKERS_PER_ROOM } from '../history/read-markers.js';
import { RoomCatchUp } from './room-catch-up.js';
import { RoomRefusedError, type RoomCommand, type RoomCommandOutcome, type RoomEvent } from './room-commands.js';
import { PUBLISH_GUARD_LUA, ROOM_EVENT_TYPE, RedisRoomState } from './redis-room-state.js';
import { BusUnavailableError, type Bus, type BusSink, type RoomSummary, type SequencedMessage } from './bus.js';

/** Seconds a nick or a membership lives in Redis without a refresh. */
const LEASE_SECONDS = 60;
/** How often held nicks and memberships are refreshed. */
const REFRESH_MS = 20_000;

/**
 * Sequences a message: appends seq and time to the body the publishing host encoded
 * (protocol's msg-line.ts: the same tail a single process or the cluster primary appends),
 * keeps the line in the room's stream and publishes the very same bytes. `PUBLISH` is
 * SPUBLISH on a cluster (the channel is in the slot of KEYS[1] and KEYS[2]). A muted sender
 * (-1) or one in slow mode (-2) is refused first (redis-room-state.ts: KEYS 3..6, ARGV[5]).
 */
const publishScript = (publish: 'PUBLISH' | 'SPUBLISH'): string => `${PUBLISH_GUARD_LUA}
local seq = redis.call('INCR', KEYS[1])
local line = ARGV[2] .. ',"seq":' .. seq .. ',"ts":' .. ARGV[3] .. '}\\n'
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[4], seq .. '-1', 'm', line)
redis.call('${publish}', ARGV[1], line)
return seq`;

const MSG_PREFIX = Buffer.from('{"type":"msg"');

/** Keeps a lease we hold, re-creates it if Redis lost it, and reports a lease someone else took. */
const RENEW_SCRIPT = `
local v = redis.call('GET', KEYS[1])
if v == false then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) return 1 end
if v == ARGV[1] then redis.call('EXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0`;

/**
 * Publishes a typing event unless the room has more members than the presence limit
 * (KEYS[1] the room's members; the channel is in its slot on a cluster). Expired leases
 * still count, as they do for presence: the limit is about noise, not exact sizes.
 */
const typingScript = (publish: 'PUBLISH' | 'SPUBLISH'): string => `
if redis.call('ZCARD', KEYS[1]) > tonumber(ARGV[2]) then return 0 end
return redis.call('${publish}', ARGV[1], ARGV[3])`;

/**
 * Stores a read marker in the room's hash, which holds at most ARGV[3] nicks: a new nick
 * in a full hash replaces a random one (HRANDFIELD, Redis 6.2), so anonymous nicks
 * cannot grow it without bound. ChatState forgets the stalest instead; either keeps the
 * markers of everyone active.
 */
const MARK_READ_SCRIPT = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then
  redis.call('HDEL', KEYS[1], redis.call('HRANDFIELD', KEYS[1]))
end
return redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])`;

const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export interface RedisBusOptions {
  /** One Redis (`redis://…`); ignored when `clusterNodes` is given. */
  url: string;
  /** Redis Cluster seed nodes (`host:port`): the bus then uses sharded pub/sub. */
  clusterNodes?: readonly string[];
  historySize: number;
  /** Rooms larger than this announce no joins and leaves. @default 500 */
  presenceMaxMembers?: number;
  log: Logger;
  /** Key and channel prefix, so several deployments (or tests) can share one Redis. */
  prefix?: string;
  /** Who operates a new room (issue 16). @default 'first' */
  roomOps?: 'first' | 'none';
}

/** The publisher: one Redis, or a cluster client (the commands used here exist on both). */
type RedisWithScripts = Redis & {
  lcPublish(...args: (string | number)[]): Promise<number>;
  lcRenew(key: string, owner: string, seconds: number): Promise<number>;
  lcRelease(key: string, owner: string): Promise<number>;
  lcTyping(membersKey: string, channel: string, maxMembers: number, payload: string): Promise<number>;
  lcMarkRead(readKey: string, nick: string, seq: number, maxMarkers: number): Promise<number>;
};

export class RedisBus implements Bus {
  readonly kind = 'redis';
  /**
   * History epoch: a key Redis keeps with the streams (SET NX), read again whenever the
   * publisher (re)connects, so a Redis that came back empty yields a new one.
   */
  epoch: string = randomUUID();
  readonly hostId = `${hostname()}-${randomUUID().slice(0, 8)}`;
  readonly #pub: RedisWithScripts;
  readonly #sub: Redis;
  /** True on Redis Cluster: hash-tagged keys, SPUBLISH/SSUBSCRIBE, nothing spanning slots. */
  readonly #cluster: boolean;
  readonly #prefix: string;
  readonly #historySize: number;
  readonly #presenceMaxMembers: number;
  readonly #log: Logger;
  #sink: BusSink | undefined;
  /** Room roles, bans, mutes, slow mode, topics and tombstones (redis-room-state.ts). */
  readonly #rooms: RedisRoomState;
  /** room → when this host's room commands on it have all settled (absent: none in flight). */
  readonly #commandsInFlight = new Map<string, Promise<void>>();
  /** room → when this host's joins of it have all settled: a command waits for them. */
  readonly #joinsInFlight = new Map<string, Promise<void>>();
  /** nick → rooms, for the nicks this instance holds (refreshed every REFRESH_MS). */
  readonly #held = new Map<string, Set<string>>();
  /** room → nicks of this instance in it; the room's channel is subscribed while non-empty */
  readonly #localRooms = new Map<string, Set<string>>();
  #lastRefresh = Date.now();
  /** Live room messages, and the catch-up from the stream after the subscriber reconnects. */
  readonly #catchUp = new RoomCatchUp<SequencedMessage>((msg) => this.#sink?.onMessage(msg));
  /** The subscriber lost its connection since it was last ready: catch up once both are back. */
  #subscriberDropped = false;
  #subscriberWasReady = false;

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
    const nodes = options.clusterNodes ?? [];
    this.#cluster = nodes.length > 0;
    if (this.#cluster) {
      const seeds = nodes.map((node) => {
        const at = node.lastIndexOf(':');
        return { host: node.slice(0, at), port: Number(node.slice(at + 1)) };
      });
      const { enableOfflineQueue: _queue, lazyConnect, retryStrategy, ...redisOptions } = common;
      const cluster = (name: string, extra: { enableOfflineQueue: boolean; shardedSubscribers?: boolean }): Redis =>
        new Cluster(seeds, {
          ...extra,
          lazyConnect,
          clusterRetryStrategy: retryStrategy,
          redisOptions: { ...redisOptions, connectionName: `loopchat-${name}-${this.hostId}` },
        }) as unknown as Redis;
      this.#pub = cluster('pub', { enableOfflineQueue: false }) as RedisWithScripts;
      // One subscriber connection per shard (ioredis), SSUBSCRIBE queued while reconnecting.
      this.#sub = cluster('sub', { enableOfflineQueue: true, shardedSubscribers: true });
    } else {
      this.#pub = new Redis(options.url, { ...common, connectionName: `loopchat-pub-${this.hostId}` }) as RedisWithScripts;
      // The subscriber queues SUBSCRIBE while reconnecting so it can resubscribe by itself.
      this.#sub = new Redis(options.url, {
        ...common,
        enableOfflineQueue: true,
        connectionName: `loopchat-sub-${this.hostId}`,
      });
    }
    this.#pub.defineCommand('lcPublish', {
      numberOfKeys: 6,
      lua: publishScript(this.#cluster ? 'SPUBLISH' : 'PUBLISH'),
    });
    this.#rooms = new RedisRoomState({
      redis: this.#pub,
      key: (room, suffix) => `${this.#tag(`room:${room}`)}:${suffix}`,
      publish: (room, payload) => this.#publish(this.#roomChannel(room), payload),
      call: (fn) => this.#call(fn),
      roomOps: options.roomOps ?? 'first',
      historySize: this.#historySize,
    });
    this.#pub.defineCommand('lcRenew', { numberOfKeys: 1, lua: RENEW_SCRIPT });
    this.#pub.defineCommand('lcRelease', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
    this.#pub.defineCommand('lcMarkRead', { numberOfKeys: 1, lua: MARK_READ_SCRIPT });
    this.#pub.defineCommand('lcTyping', { numberOfKeys: 1, lua: typingScript(this.#cluster ? 'SPUBLISH' : 'PUBLISH') });
    // Buffer payloads: a room message is delivered as the bytes Redis published, unparsed.
    this.#sub.on(this.#cluster ? 'smessageBuffer' : 'messageBuffer', (channel: Buffer, payload: Buffer) =>
      this.#onMessage(channel, payload),
    );
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
        if (name === 'subscriber') this.#subscriberWasReady = true;
        if (this.#subscriberDropped && this.ready) {
          this.#subscriberDropped = false;
          void this.#catchUpRooms();
        }
      });
      if (name === 'subscriber') conn.on('close', () => (this.#subscriberDropped ||= this.#subscriberWasReady));
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
    const subscribed = this.#subscribe(this.#hostChannel(this.hostId));
    // Both connections: the subscriber can be ready before the publisher (and then nothing can be sent).
    const published = this.#pub.status === 'ready' ? Promise.resolve() : once(this.#pub, 'ready');
    const timeout = new Promise((resolve) => setTimeout(resolve, waitMs).unref());
    this.#pub.on('ready', () => void this.#loadEpoch());
    await Promise.race([Promise.all([subscribed, published]).catch(() => {}), timeout]);
    await this.#loadEpoch();
  }

  async #loadEpoch(): Promise<void> {
    const key = `${this.#prefix}epoch`;
    try {
      await this.#pub.set(key, this.epoch, 'NX');
      this.epoch = (await this.#pub.get(key)) ?? this.epoch;
    } catch {
      // Redis unreachable: this process's epoch until it is back ('ready' reads it again).
    }
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

  /** The nick's connection ended: each room hears it quit (a presence leave with `quit`). */
  release(nick: string, rooms: readonly string[]): void {
    for (const room of rooms) this.#leave(room, nick, true);
    this.#held.delete(nick);
    this.#pub.lcRelease(this.#nickKey(nick), this.hostId).catch(() => {
      // Redis is down: the lease expires by itself within LEASE_SECONDS.
    });
  }

  /**
   * Joins `nick` (ban check, membership, subscription, topic, presence: several round trips).
   * A room command written right behind the join (`/join` then `/topic` in one write) waits
   * for it, or it would check the membership before the join stored it (`not_in_room`).
   */
  join(room: string, nick: string, ip?: string): Promise<number> {
    const joined = this.#join(room, nick, ip);
    track(this.#joinsInFlight, room, joined);
    return joined;
  }

  async #join(room: string, nick: string, ip?: string): Promise<number> {
    if (!this.ready) throw new BusUnavailableError('redis unavailable');
    let local = this.#localRooms.get(room);
    const subscribe = local === undefined;
    if (local === undefined) this.#localRooms.set(room, (local = new Set()));
    local.add(nick);
    try {
      await this.#rooms.beforeJoin(room, nick, ip);
      // Subscribed before the join is acknowledged: from the ack on, nothing is missed.
      if (subscribe) await this.#call(() => this.#subscribe(this.#roomChannel(room)));
      // The client may have left (or gone) while we waited: then there is nothing to announce.
      if (!this.#localRooms.get(room)?.has(nick)) return 0;
      const expires = Date.now() + LEASE_SECONDS * 1000;
      // The rooms index is another slot than the room's keys: on a cluster it goes apart.
      const multi = this.#pub.multi().zadd(this.#membersKey(room), expires, nick);
      if (!this.#cluster) multi.zadd(this.#roomsKey(), expires, room);
      multi.get(this.#seqKey(room)).zcard(this.#membersKey(room));
      const [results] = await this.#call(() =>
        Promise.all([multi.exec(), this.#cluster ? this.#pub.zadd(this.#roomsKey(), expires, room) : undefined]),
      );
      const at = this.#cluster ? 1 : 2;
      this.#held.get(nick)?.add(room);
      const topic = await this.#rooms.afterJoin(room, nick, ip);
      if (topic !== undefined) this.#sink?.onRoomEvent({ frame: topic, to: nick });
      if (Number(results?.[at + 1]?.[1] ?? 0) <= this.#presenceMaxMembers) this.#announce(room, nick, 'join');
      return Number(results?.[at]?.[1] ?? 0);
    } catch (err) {
      this.#dropLocal(room, nick);
      throw err;
    }
  }

  leave(room: string, nick: string): void {
    this.#leave(room, nick, false);
  }

  #leave(room: string, nick: string, quit: boolean): void {
    this.#held.get(nick)?.delete(room);
    this.#pub
      .multi()
      .zrem(this.#membersKey(room), nick)
      .zcard(this.#membersKey(room))
      .exec()
      .then((results) => {
        const left = Number(results?.[1]?.[1] ?? 0);
        if (left > 0 && left < this.#presenceMaxMembers) this.#announce(room, nick, 'leave', quit);
      })
      .catch(() => {
        // Redis is down: the membership lease expires by itself.
      });
    this.#rooms.left(room, nick);
    this.#dropLocal(room, nick);
  }

  /**
   * Claims the new nick (SET NX, unique across hosts), moves the memberships, role and mute
   * in each room (one script per room, in its slot), announces the rename, frees the old nick.
   */
  async rename(oldNick: string, newNick: string, rooms: readonly string[]): Promise<boolean> {
    const sameKey = oldNick.toLowerCase() === newNick.toLowerCase();
    if (!sameKey) {
      const ok = await this.#call(() => this.#pub.set(this.#nickKey(newNick), this.hostId, 'EX', LEASE_SECONDS, 'NX'));
      if (ok !== 'OK') return false;
    }
    this.#held.set(newNick, this.#held.get(oldNick) ?? new Set());
    if (!sameKey || oldNick !== newNick) this.#held.delete(oldNick);
    for (const room of rooms) {
      const local = this.#localRooms.get(room);
      if (local?.delete(oldNick) === true) local.add(newNick);
      const members = await this.#rooms.renameMember(room, oldNick, newNick);
      if (members > 0 && members < this.#presenceMaxMembers) {
        const presence: PresenceFrame = { type: 'presence', room, nick: newNick, event: 'rename', old: oldNick };
        this.#publish(this.#roomChannel(room), JSON.stringify(presence)).catch(() => {});
      }
    }
    if (!sameKey) this.#pub.lcRelease(this.#nickKey(oldNick), this.hostId).catch(() => {});
    return true;
  }

  /**
   * A room command takes several round trips (read, decide, write, announce) where a publish
   * takes one script, so a message sent after a command would overtake it: this host's
   * commands on a room run one after another, and its publishes to the room wait for the
   * commands issued before them (#commandsInFlight). A publish issued first is ahead of the
   * command's reads in the connection's pipeline anyway.
   */
  roomCommand(command: RoomCommand): Promise<RoomCommandOutcome> {
    const before = both(this.#commandsInFlight.get(command.room), this.#joinsInFlight.get(command.room));
    const run = before === undefined ? this.#rooms.command(command) : before.then(() => this.#rooms.command(command));
    track(this.#commandsInFlight, command.room, run);
    return run;
  }

  typing(room: string, nick: string): void {
    if (!this.ready) return; // ephemeral: nothing to retry later
    const payload = JSON.stringify({ type: 'typing', room, nick } satisfies TypingFrame);
    this.#pub.lcTyping(this.#membersKey(room), this.#roomChannel(room), this.#presenceMaxMembers, payload).catch(() => {});
  }

  async publish(room: string, from: string, body: string): Promise<SequencedMessage> {
    const command = this.#commandsInFlight.get(room);
    if (command !== undefined) await command;
    const ts = Date.now();
    const keys = this.#rooms.publishKeys(room, from);
    const seq = Number(
      await this.#call(() =>
        this.#pub.lcPublish(
          this.#seqKey(room),
          this.#logKey(room),
          ...keys,
          this.#roomChannel(room),
          body,
          ts,
          this.#historySize,
          from.toLowerCase(),
        ),
      ),
    );
    if (seq < 0) throw new RoomRefusedError(seq === -1 ? 'muted' : 'slow_mode');
    // The same bytes the script built from the same body, seq and ts (the sender's answer).
    return { room, from, seq, line: finishMsgLine(body, seq, ts) };
  }

  async markRead(room: string, nick: string, seq: number): Promise<void> {
    const key = this.#readKey(room);
    await this.#call(() => this.#pub.lcMarkRead(key, nick.toLowerCase(), seq, MAX_READ_MARKERS_PER_ROOM));
  }

  async readMarker(room: string, nick: string): Promise<number | undefined> {
    const seq = await this.#call(() => this.#pub.hget(this.#readKey(room), nick.toLowerCase()));
    return seq === null ? undefined : Number(seq);
  }

  async dm(from: string, to: string, text: string, id: Id | undefined): Promise<DmFrame | undefined> {
    const host = await this.#call(() => this.#pub.get(this.#nickKey(to)));
    if (host === null) return undefined;
    const dm: DmFrame = { type: 'dm', from, to, text, ts: Date.now() };
    if (id !== undefined) dm.id = id;
    const receivers = await this.#call(() => this.#publish(this.#hostChannel(host), JSON.stringify(dm)));
    return Number(receivers) > 0 ? dm : undefined;
  }

  async history(room: string, query: HistoryQuery): Promise<Buffer[]> {
    const key = this.#logKey(room);
    // Stream ids are the seqs: an end id without its sequence part means "up to and including".
    if ('before' in query && query.before <= 1) return [];
    const entries =
      'latest' in query
        ? (await this.#call(() => this.#pub.xrevrangeBuffer(key, '+', '-', 'COUNT', query.latest))).reverse()
        : 'since' in query
          ? await this.#call(() => this.#pub.xrangeBuffer(key, String(query.since + 1), '+', 'COUNT', query.limit))
          : (
              await this.#call(() => this.#pub.xrevrangeBuffer(key, String(query.before - 1), '-', 'COUNT', query.limit))
            ).reverse();
    const lines = entries.map(([id, fields]) => ({
      seq: parseInt(id.toString('latin1'), 10),
      line: withNewline(fields[1]!),
    }));
    return this.#rooms.withTombstones(room, lines);
  }

  async members(room: string): Promise<string[]> {
    return this.#call(() => this.#pub.zrangebyscore(this.#membersKey(room), Date.now(), '+inf'));
  }

  async rooms(limit: number): Promise<RoomSummary[]> {
    const now = Date.now();
    const names = await this.#call(() => this.#pub.zrangebyscore(this.#roomsKey(), now, '+inf', 'LIMIT', 0, 1000));
    const counts = await this.#call(() => {
      // A cluster pipeline must stay in one slot: there, one command per room (in parallel).
      if (this.#cluster) return Promise.all(names.map((room) => this.#pub.zcount(this.#membersKey(room), now, '+inf')));
      const pipeline = this.#pub.pipeline();
      for (const room of names) pipeline.zcount(this.#membersKey(room), now, '+inf');
      return pipeline.exec().then((results) => (results ?? []).map(([, count]) => count));
    });
    return names
      .map((room, i) => ({ room, members: Number(counts[i] ?? 0) }))
      .filter((r) => r.members > 0)
      .sort((a, b) => b.members - a.members)
      .slice(0, limit);
  }

  /** Renews this instance's nick and membership leases (called from the server's sweep). */
  sweep(now: number): void {
    if (now - this.#lastRefresh < REFRESH_MS || !this.ready) return;
    this.#lastRefresh = now;
    const expires = now + LEASE_SECONDS * 1000;
    const nicks = [...this.#held.keys()];
    let renewed: Promise<unknown[]>;
    if (this.#cluster) {
      // A cluster pipeline must stay in one slot: there, each command on its own.
      renewed = Promise.all(
        [...this.#held].map(([nick, rooms]) => {
          for (const room of rooms) {
            this.#pub.zadd(this.#membersKey(room), expires, nick).catch(() => {});
            this.#pub.zadd(this.#roomsKey(), expires, room).catch(() => {});
          }
          return this.#pub.lcRenew(this.#nickKey(nick), this.hostId, LEASE_SECONDS);
        }),
      );
    } else {
      /** Where each nick's renew answer sits in the pipeline's results. */
      const renewAt: number[] = [];
      let commands = 0;
      const pipeline = this.#pub.pipeline() as ReturnType<Redis['pipeline']> & {
        lcRenew(key: string, owner: string, seconds: number): unknown;
      };
      for (const [nick, rooms] of this.#held) {
        renewAt.push(commands);
        commands += 1 + 2 * rooms.size;
        pipeline.lcRenew(this.#nickKey(nick), this.hostId, LEASE_SECONDS);
        for (const room of rooms) pipeline.zadd(this.#membersKey(room), expires, nick).zadd(this.#roomsKey(), expires, room);
      }
      renewed = pipeline.exec().then((results) => renewAt.map((at) => results?.[at]?.[1]));
    }
    renewed
      .then((answers) => {
        // Renew answers 0 when another host took the nick while Redis had forgotten ours
        // (an outage with an empty restart): the local holder must give it up.
        for (const [i, nick] of nicks.entries()) {
          if (answers[i] !== 0) continue;
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

  #announce(room: string, nick: string, event: PresenceFrame['event'], quit = false): void {
    const presence: PresenceFrame = { type: 'presence', room, nick, event };
    if (quit) presence.quit = true;
    this.#publish(this.#roomChannel(room), JSON.stringify(presence)).catch(() => {});
  }

  /** PUBLISH, or SPUBLISH on a cluster; resolves to the number of receivers. */
  #publish(channel: string, payload: string): Promise<unknown> {
    return this.#cluster ? this.#pub.spublish(channel, payload) : this.#pub.publish(channel, payload);
  }

  #subscribe(channel: string): Promise<unknown> {
    return this.#cluster ? this.#sub.ssubscribe(channel) : this.#sub.subscribe(channel);
  }

  #onMessage(channel: Buffer, payload: Buffer): void {
    const sink = this.#sink;
    if (sink === undefined) return;
    if (payload.subarray(0, MSG_PREFIX.length).equals(MSG_PREFIX)) {
      const msg = sequencedMessage(payload);
      if (msg === undefined) this.#log.warn({ channel: channel.toString() }, 'unreadable message line on the bus');
      else this.#catchUp.live(msg);
      return;
    }
    let frame: PresenceFrame | TypingFrame | DmFrame;
    try {
      frame = JSON.parse(payload.toString('utf8')) as PresenceFrame | TypingFrame | DmFrame;
    } catch {
      this.#log.warn({ channel: channel.toString() }, 'unreadable bus payload');
      return;
    }
    if ((frame.type as string) === ROOM_EVENT_TYPE) return this.#onRoomEvent((frame as unknown as { e: RoomEvent }).e);
    if (frame.type === 'presence') sink.onPresence(frame);
    else if (frame.type === 'typing') sink.onTyping(frame);
    else if (frame.type === 'dm') sink.onDm(frame);
  }

  /** A room event: members the room's state removed (kick, ban) stop being held here too. */
  #onRoomEvent(event: RoomEvent): void {
    this.#sink?.onRoomEvent(event);
    const room = event.frame.room;
    for (const nick of event.remove ?? []) {
      if (this.#localRooms.get(room)?.has(nick) !== true) continue;
      this.#held.get(nick)?.delete(room);
      this.#dropLocal(room, nick);
    }
  }

  #dropLocal(room: string, nick: string): void {
    const local = this.#localRooms.get(room);
    if (local === undefined) return;
    local.delete(nick);
    if (local.size > 0) return;
    this.#localRooms.delete(room);
    this.#catchUp.forget(room);
    const channel = this.#roomChannel(room);
    (this.#cluster ? this.#sub.sunsubscribe(channel) : this.#sub.unsubscribe(channel)).catch(() => {});
  }

  /**
   * After the subscriber reconnected: for every room with local members, make sure the
   * subscription is back, then read what the stream got since the last seq delivered here
   * (room-catch-up.ts holds live messages meanwhile and merges both in seq order).
   */
  async #catchUpRooms(): Promise<void> {
    const rooms = this.#catchUp.rooms().filter(([room]) => this.#localRooms.has(room));
    let recovered = 0;
    await Promise.all(
      rooms.map(async ([room, since]) => {
        this.#catchUp.begin(room);
        let missed: SequencedMessage[] | undefined;
        try {
          await this.#subscribe(this.#roomChannel(room));
          const lines = await this.history(room, { since, limit: this.#historySize });
          missed = lines.map(sequencedMessage).filter((msg) => msg !== undefined);
          recovered += missed.length;
        } catch {
          missed = undefined;
        }
        this.#catchUp.finish(room, missed);
      }),
    );
    this.#log.info({ rooms: rooms.length, recovered }, 'caught up on rooms after the subscriber reconnected');
  }

  /** Runs a Redis call; a failure because Redis is unreachable becomes BusUnavailableError. */
  async #call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new BusUnavailableError((err as Error).message);
    }
  }

  /**
   * A room's (or host's) keys and channel, all in one slot on a cluster: `<prefix>{room:<room>}…`
   * there, `<prefix>room:<room>…` on one Redis (the names single-Redis deployments already have).
   */
  #tag(name: string): string {
    return this.#cluster ? `${this.#prefix}{${name}}` : `${this.#prefix}${name}`;
  }
  #nickKey(nick: string): string {
    return `${this.#prefix}nick:${nick.toLowerCase()}`;
  }
  #seqKey(room: string): string {
    return `${this.#tag(`room:${room}`)}:seq`;
  }
  #logKey(room: string): string {
    return `${this.#tag(`room:${room}`)}:log`;
  }
  #membersKey(room: string): string {
    return `${this.#tag(`room:${room}`)}:members`;
  }
  #readKey(room: string): string {
    return `${this.#tag(`room:${room}`)}:read`;
  }
  #roomsKey(): string {
    return `${this.#prefix}rooms`;
  }
  #roomChannel(room: string): string {
    return this.#tag(`room:${room}`);
  }
  #hostChannel(host: string): string {
    return this.#tag(`host:${host}`);
  }
}

/** A message line off Redis as the hub takes it (room, sender and seq read by position). */
function sequencedMessage(line: Buffer): SequencedMessage | undefined {
  const head = readMsgLine(line);
  return head === undefined ? undefined : { room: head.room, from: head.from, seq: head.seq, line: withNewline(line) };
}

/** Stream entries written before 2026-12 have no newline; the lines delivered always do. */
function withNewline(line: Buffer): Buffer {
  return line[line.length - 1] === 0x0a ? line : Buffer.concat([line, NEWLINE]);
}

const NEWLINE = Buffer.from('\n');

function noop(): void {}

/** Marks `op` in flight on `room` in `map` until it, and whatever was in flight there before, settled. */
function track(map: Map<string, Promise<void>>, room: string, op: Promise<unknown>): void {
  const settled = op.then(noop, noop);
  const before = map.get(room);
  const all = before === undefined ? settled : Promise.all([before, settled]).then(noop);
  map.set(room, all);
  void all.then(() => {
    if (map.get(room) === all) map.delete(room);
  });
}

/** Settles once both have (either may be absent). */
function both(a: Promise<void> | undefined, b: Promise<void> | undefined): Promise<void> | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Promise.all([a, b]).then(noop);
}
