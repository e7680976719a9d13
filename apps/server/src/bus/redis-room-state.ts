/**
 * Room roles and restrictions across hosts (issue 16): what room-rules.ts and
 * room-command-runner.ts decide in one process, kept in Redis keys of the room's slot, so
 * every host sees one state. Events travel on the room's channel as `room-event` payloads.
 *
 *   <room>:ops     hash  lower nick → nick              operators
 *   <room>:bans    hash  lower nick | address → expiry  (-1: until lifted; ms since the epoch)
 *   <room>:mutes   hash  lower nick → expiry
 *   <room>:conf    hash  slow → seconds, topic → TopicFrame JSON
 *   <room>:ips     hash  nick → address it joined from (bans by address)
 *   <room>:slow:<lower nick>  string with a PX lease: the member's slow-mode clock
 *   <room>:tombs   hash  seq → tombstone line (the stream cannot be edited; history overlays it)
 *
 * The publish script (redis-bus.ts) reads mutes, conf and ops atomically with the seq. A
 * command reads the room's state, decides here, then writes; one host runs its commands on a
 * room one at a time, and its messages to the room after them (redis-bus.ts), but a command
 * racing another host's (a kick by an operator being deopped there) may act on the older
 * state, as on IRC networks.
 */
import {
  encodeTombstoneLine,
  isTombstoneLine,
  readMsgLine,
  readMsgTs,
  type ModFrame,
  type TopicFrame,
} from '@loopchat/protocol';
import type { Redis } from 'ioredis';
import {
  RoomRefusedError,
  modFrames,
  refuse,
  type ModFrameMaker,
  type RoomCommand,
  type RoomCommandOutcome,
  type RoomEvent,
} from './room-commands.js';
import { MAX_LIST_ENTRIES, expiryOf } from './room-rules.js';

/** The payload type of a room event on a room channel. */
export const ROOM_EVENT_TYPE = 'room-event';

/** Checks a sender's mute and slow mode before sequencing (KEYS 3..6 and ARGV[5] of the publish script). */
export const PUBLISH_GUARD_LUA = `
local m = redis.call('HGET', KEYS[3], ARGV[5])
if m and (m == '-1' or tonumber(m) > tonumber(ARGV[3])) then return -1 end
local slow = tonumber(redis.call('HGET', KEYS[4], 'slow') or '0')
if slow > 0 and redis.call('HEXISTS', KEYS[5], ARGV[5]) == 0 then
  if not redis.call('SET', KEYS[6], '1', 'PX', slow * 1000, 'NX') then return -2 end
end`;

/** The first member of a room without operators (and without other live members) operates it. */
const FOUND_SCRIPT = `
if redis.call('HLEN', KEYS[1]) == 0 and redis.call('ZCOUNT', KEYS[2], ARGV[1], '+inf') <= 1 then
  redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
  return 1
end
return 0`;

/** Moves a renamed member's membership, role, mute, address and slow-mode clock. */
const RENAME_SCRIPT = `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score then return -1 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], score, ARGV[2])
if redis.call('HDEL', KEYS[2], ARGV[3]) == 1 then redis.call('HSET', KEYS[2], ARGV[4], ARGV[2]) end
local mute = redis.call('HGET', KEYS[3], ARGV[3])
if mute then redis.call('HDEL', KEYS[3], ARGV[3]) redis.call('HSET', KEYS[3], ARGV[4], mute) end
local ip = redis.call('HGET', KEYS[4], ARGV[1])
if ip then redis.call('HDEL', KEYS[4], ARGV[1]) redis.call('HSET', KEYS[4], ARGV[2], ip) end
if redis.call('EXISTS', KEYS[5]) == 1 and KEYS[5] ~= KEYS[6] then redis.call('RENAME', KEYS[5], KEYS[6]) end
return redis.call('ZCARD', KEYS[1])`;

type RedisWithRoomScripts = Redis & {
  lcFound(opsKey: string, membersKey: string, now: number, key: string, nick: string): Promise<number>;
  lcRenameMember(...args: (string | number)[]): Promise<number>;
};

export interface RedisRoomPorts {
  /** The publisher connection (one Redis or a cluster client). */
  readonly redis: Redis;
  /** A key of the room's slot: `<room tag>:<suffix>`. */
  key(room: string, suffix: string): string;
  /** Publishes on the room's channel. */
  publish(room: string, payload: string): Promise<unknown>;
  /** Runs a Redis call, a failure becoming BusUnavailableError. */
  call<T>(fn: () => Promise<T>): Promise<T>;
  readonly roomOps: 'first' | 'none';
  readonly historySize: number;
}

const OK: RoomCommandOutcome = { ok: true };

export class RedisRoomState {
  readonly #p: RedisRoomPorts;
  readonly #redis: RedisWithRoomScripts;

  constructor(ports: RedisRoomPorts) {
    this.#p = ports;
    this.#redis = ports.redis as RedisWithRoomScripts;
    this.#redis.defineCommand('lcFound', { numberOfKeys: 2, lua: FOUND_SCRIPT });
    this.#redis.defineCommand('lcRenameMember', { numberOfKeys: 6, lua: RENAME_SCRIPT });
  }

  /** KEYS 3..6 of the publish script for a message from `from`. */
  publishKeys(room: string, from: string): [string, string, string, string] {
    const k = (s: string): string => this.#p.key(room, s);
    return [k('mutes'), k('conf'), k('ops'), k(`slow:${from.toLowerCase()}`)];
  }

  /** Refuses a banned joiner (by nick, or by the address it comes from). */
  async beforeJoin(room: string, nick: string, ip: string | undefined): Promise<void> {
    const keys = ip === undefined ? [nick.toLowerCase()] : [nick.toLowerCase(), ip];
    const until = await this.#p.call(() => this.#redis.hmget(this.#p.key(room, 'bans'), ...keys));
    const now = Date.now();
    if (until.some((u) => u !== null && (u === '-1' || Number(u) > now))) throw new RoomRefusedError('banned');
  }

  /** After the membership is stored: the joiner's address, its op if it founds the room, and the topic to send it. */
  async afterJoin(room: string, nick: string, ip: string | undefined): Promise<TopicFrame | undefined> {
    const k = (s: string): string => this.#p.key(room, s);
    const [topic] = await this.#p.call(() =>
      Promise.all([
        this.#redis.hget(k('conf'), 'topic'),
        ip === undefined ? undefined : this.#redis.hset(k('ips'), nick, ip),
        this.#p.roomOps === 'none'
          ? undefined
          : this.#redis.lcFound(k('ops'), k('members'), Date.now(), nick.toLowerCase(), nick),
      ]),
    );
    return topic === null ? undefined : (JSON.parse(topic) as TopicFrame);
  }

  /** A member left: its address goes (its slow-mode clock expires by itself). */
  left(room: string, nick: string): void {
    this.#redis.hdel(this.#p.key(room, 'ips'), nick).catch(() => {});
  }

  /** Moves a renamed member's state in `room`; the room's member count after, or -1 if it was not a member. */
  renameMember(room: string, oldNick: string, newNick: string): Promise<number> {
    const k = (s: string): string => this.#p.key(room, s);
    const [from, to] = [oldNick.toLowerCase(), newNick.toLowerCase()];
    return this.#p.call(() =>
      this.#redis.lcRenameMember(
        k('members'),
        k('ops'),
        k('mutes'),
        k('ips'),
        k(`slow:${from}`),
        k(`slow:${to}`),
        oldNick,
        newNick,
        from,
        to,
      ),
    );
  }

  /** History lines with deleted ones replaced by their tombstones. */
  async withTombstones(room: string, entries: { seq: number; line: Buffer }[]): Promise<Buffer[]> {
    if (entries.length === 0) return [];
    const key = this.#p.key(room, 'tombs');
    const tombs = await this.#p.call(() => this.#redis.hmgetBuffer(key, ...entries.map((e) => String(e.seq))));
    return entries.map((e, i) => tombs[i] ?? e.line);
  }

  async command(command: RoomCommand): Promise<RoomCommandOutcome> {
    const { room, by } = command;
    const k = (s: string): string => this.#p.key(room, s);
    if (command.op === 'ops') return { ok: true, ops: await this.#p.call(() => this.#redis.hvals(k('ops'))) };
    const now = Date.now();
    const [score, op] = await this.#p.call(() =>
      Promise.all([this.#redis.zscore(k('members'), by.nick), this.#redis.hexists(k('ops'), by.nick.toLowerCase())]),
    );
    if (!by.admin && (score === null || Number(score) <= now)) return refuse('not_in_room');
    const mayModerate = by.admin || op === 1;
    if (command.op === 'topic') return this.#topic(room, command.text, by.nick, mayModerate, now, command.cause);
    if (command.op === 'delete') return this.#delete(room, command.seq, by.nick, mayModerate, now, command.cause);
    if (!mayModerate) return refuse('not_op');
    const mod = modFrames(room, by, now);
    switch (command.op) {
      case 'op':
      case 'deop': {
        const nick = await this.#memberNick(room, command.nick, now);
        if (nick === undefined) return refuse('not_member');
        const changed =
          command.op === 'op'
            ? await this.#p.call(() => this.#redis.hsetnx(k('ops'), nick.toLowerCase(), nick))
            : await this.#p.call(() => this.#redis.hdel(k('ops'), nick.toLowerCase()));
        if (changed === 1) await this.#announce({ frame: mod(command.op, { nick }) }, command.cause);
        return OK;
      }
      case 'kick': {
        const nick = await this.#memberNick(room, command.nick, now);
        if (nick === undefined) return refuse('not_member');
        const reason = command.reason === undefined || command.reason === '' ? {} : { reason: command.reason };
        await this.#remove(room, [nick], mod('kick', { nick, ...reason }), command.cause);
        return OK;
      }
      case 'ban':
        return this.#ban(room, command, now, mod);
      case 'unban': {
        if (command.ip !== undefined) {
          if (!by.admin) return refuse('not_admin');
          await this.#p.call(() => this.#redis.hdel(k('bans'), command.ip!));
          return OK;
        }
        // Bans are kept by lower-case nick (the banned member is gone; its spelling with it).
        const nick = (command.nick ?? '').toLowerCase();
        const lifted = await this.#p.call(() => this.#redis.hdel(k('bans'), nick));
        if (lifted === 1) await this.#announce({ frame: mod('unban', { nick }) }, command.cause);
        return OK;
      }
      case 'mute': {
        if (!(await this.#put(k('mutes'), command.nick.toLowerCase(), expiryOf(command.minutes, now))))
          return refuse('list_full');
        const minutes = command.minutes === undefined ? {} : { minutes: command.minutes };
        await this.#announce({ frame: mod('mute', { nick: command.nick, ...minutes }) }, command.cause);
        return OK;
      }
      case 'unmute': {
        const lifted = await this.#p.call(() => this.#redis.hdel(k('mutes'), command.nick.toLowerCase()));
        if (lifted === 1) await this.#announce({ frame: mod('unmute', { nick: command.nick }) }, command.cause);
        return OK;
      }
      case 'slow':
        await this.#p.call(() => this.#redis.hset(k('conf'), 'slow', command.seconds));
        await this.#announce({ frame: mod('slow', { seconds: command.seconds }) }, command.cause);
        return OK;
    }
  }

  async #topic(
    room: string,
    text: string | undefined,
    by: string,
    mayModerate: boolean,
    now: number,
    cause: number | undefined,
  ): Promise<RoomCommandOutcome> {
    const conf = this.#p.key(room, 'conf');
    if (text === undefined) {
      const stored = await this.#p.call(() => this.#redis.hget(conf, 'topic'));
      return { ok: true, topic: stored === null ? { type: 'topic', room, text: '' } : (JSON.parse(stored) as TopicFrame) };
    }
    if (!mayModerate) return refuse('not_op');
    const frame: TopicFrame = { type: 'topic', room, text, by, ts: now };
    await this.#p.call(() =>
      text === '' ? this.#redis.hdel(conf, 'topic') : this.#redis.hset(conf, 'topic', JSON.stringify(frame)),
    );
    await this.#announce({ frame }, cause);
    return OK;
  }

  async #ban(
    room: string,
    command: Extract<RoomCommand, { op: 'ban' }>,
    now: number,
    mod: ModFrameMaker,
  ): Promise<RoomCommandOutcome> {
    const until = expiryOf(command.minutes, now);
    const minutes = command.minutes === undefined ? {} : { minutes: command.minutes };
    const bans = this.#p.key(room, 'bans');
    if (command.ip !== undefined) {
      if (!command.by.admin) return refuse('not_admin');
      if (!(await this.#put(bans, command.ip, until))) return refuse('list_full');
      const ips = await this.#p.call(() => this.#redis.hgetall(this.#p.key(room, 'ips')));
      for (const [nick, ip] of Object.entries(ips)) {
        if (ip === command.ip) await this.#remove(room, [nick], mod('ban', { nick, ...minutes }), command.cause);
      }
      return OK;
    }
    const typed = command.nick ?? '';
    if (!(await this.#put(bans, typed.toLowerCase(), until))) return refuse('list_full');
    const member = await this.#memberNick(room, typed, now);
    const frame = mod('ban', { nick: member ?? typed, ...minutes });
    if (member !== undefined) await this.#remove(room, [member], frame, command.cause);
    else await this.#announce({ frame }, command.cause);
    return OK;
  }

  async #delete(
    room: string,
    seq: number,
    by: string,
    mayModerate: boolean,
    now: number,
    cause: number | undefined,
  ): Promise<RoomCommandOutcome> {
    const tombs = this.#p.key(room, 'tombs');
    const [entries, deleted] = await this.#p.call(() =>
      Promise.all([
        this.#redis.xrangeBuffer(this.#p.key(room, 'log'), `${seq}-1`, `${seq}-1`),
        this.#redis.hexists(tombs, String(seq)),
      ]),
    );
    const line = entries[0]?.[1][1];
    const head = line === undefined ? undefined : readMsgLine(line);
    if (line === undefined || head === undefined || deleted === 1 || isTombstoneLine(line)) return refuse('no_such_message');
    if (head.from.toLowerCase() !== by.toLowerCase() && !mayModerate) return refuse('not_author');
    const tombstone = encodeTombstoneLine(room, head.from, seq, readMsgTs(line));
    await this.#p.call(() => this.#redis.hset(tombs, String(seq), tombstone));
    await this.#trimTombstones(tombs, seq);
    await this.#announce({ frame: { type: 'delete', room, seq, by, ts: now } }, cause);
    return OK;
  }

  /** Tombstones of seqs the stream no longer holds go (the stream keeps historySize messages). */
  async #trimTombstones(tombs: string, newest: number): Promise<void> {
    const seqs = await this.#p.call(() => this.#redis.hkeys(tombs));
    const old = seqs.filter((s) => Number(s) <= newest - this.#p.historySize);
    if (old.length > 0) await this.#p.call(() => this.#redis.hdel(tombs, ...old));
  }

  /** Sets a ban or mute unless the list is full (a renewal is not an addition). */
  async #put(key: string, field: string, until: number): Promise<boolean> {
    const [size, present] = await this.#p.call(() => Promise.all([this.#redis.hlen(key), this.#redis.hexists(key, field)]));
    if (present === 0 && size >= MAX_LIST_ENTRIES) return false;
    await this.#p.call(() => this.#redis.hset(key, field, until === Infinity ? -1 : until));
    return true;
  }

  /** Takes members out of the room's member list, then tells the room (their hosts drop them on hearing it). */
  async #remove(room: string, nicks: string[], frame: ModFrame, cause: number | undefined): Promise<void> {
    await this.#p.call(() =>
      Promise.all([
        this.#redis.zrem(this.#p.key(room, 'members'), ...nicks),
        this.#redis.hdel(this.#p.key(room, 'ips'), ...nicks),
      ]),
    );
    await this.#announce({ frame, remove: nicks }, cause);
  }

  /** Publishes `event` to the room's hosts, with the cause of the command that made it (RoomEvent.cause). */
  #announce(event: RoomEvent, cause: number | undefined): Promise<unknown> {
    if (cause !== undefined) event.cause = cause;
    return this.#p.call(() => this.#p.publish(event.frame.room, JSON.stringify({ type: ROOM_EVENT_TYPE, e: event })));
  }

  /** The live member's nick as it joined, for a nick typed in any case. */
  async #memberNick(room: string, nick: string, now: number): Promise<string | undefined> {
    const members = await this.#p.call(() => this.#redis.zrangebyscore(this.#p.key(room, 'members'), now, '+inf'));
    const lower = nick.toLowerCase();
    return members.find((m) => m.toLowerCase() === lower);
  }
}
