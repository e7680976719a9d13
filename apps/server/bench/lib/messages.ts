/**
 * IPC between the runner and its client workers: discriminated unions, JSON-serializable.
 * Times are bench microseconds (lib/clock.ts), shared by every process.
 */
import type { SparseCounts } from './histogram.js';

export type Transport = 'tcp' | 'ws';

export interface Target {
  transport: Transport;
  host: string;
  port: number;
  /** WebSocket path. */
  path: string;
  /** 'chat': hello + join, ready on the join ack. 'none': ready when connected (bare server). */
  handshake: 'chat' | 'none';
}

export interface ConnectCommand {
  type: 'connect';
  target: Target;
  count: number;
  /** Nicks are `${nickPrefix}${i}`: unique across workers. */
  nickPrefix: string;
  /** Room of connection i: `room` when rooms is 1, else `${room}${i % rooms}`. */
  room: string;
  rooms: number;
  /** Connections being opened at once. */
  concurrency: number;
  /** Source addresses used in turn (ephemeral ports are per source address). */
  localAddresses: string[];
}

/** Counting window: msgs received in [startUs, endUs) count as throughput; msgs whose id (scheduled send time) falls in it feed the latency histogram. */
export interface WindowCommand {
  type: 'window';
  startUs: number;
  endUs: number;
  /** Messages scheduled before this (a previous phase's stragglers) never count. */
  idFromUs: number;
}

export interface ReportCommand {
  type: 'report';
}

export interface SendCommand {
  type: 'send';
  room: string;
  text: string;
  /** First scheduled send, bench µs. */
  startUs: number;
  /** No send is scheduled at or after this. */
  endUs: number;
  msgsPerSecond: number;
  windowStartUs: number;
  windowEndUs: number;
}

/**
 * room-worker: every connection of the worker sends into its own room (the room it joined)
 * at a fixed arrival rate for the worker as a whole, messages dealt round-robin over the
 * connections, so each sends at msgsPerSecond ÷ connections. Message k of the worker is
 * scheduled at startUs + k / msgsPerSecond and carries that time as its `id`.
 */
export interface SendRoomsCommand {
  type: 'send-rooms';
  /** Message texts, used in turn (JSON-escaped by the worker once, not per message). */
  texts: string[];
  startUs: number;
  endUs: number;
  msgsPerSecond: number;
  windowStartUs: number;
  windowEndUs: number;
  /** Only the first `senders` connections send (the rest only receive); all when undefined. */
  senders?: number;
}

export type WorkerCommand = ConnectCommand | WindowCommand | ReportCommand | SendCommand | SendRoomsCommand;

export interface Sparse {
  counts: SparseCounts;
  max: number;
}

export interface ConnectedReply {
  type: 'connected';
  ok: number;
  failed: number;
  failureSamples: string[];
  /** Connect start to ready (ack), µs. */
  connectUs: Sparse;
  firstStartUs: number;
  lastReadyUs: number;
}

export interface CountersSnapshot {
  msgs: number;
  windowMsgs: number;
  acks: number;
  other: number;
  errors: number;
  errorSamples: string[];
  /** Connections that closed after they were ready (server disconnects). */
  closed: number;
  closeSamples: string[];
}

export interface ReportReply {
  type: 'report';
  counters: CountersSnapshot;
  latencyUs: Sparse;
  cpuUs: number;
}

export interface SentReply {
  type: 'sent';
  sent: number;
  sentInWindow: number;
  /** Worst delay between a message's scheduled time and its actual write, µs. */
  maxSendLagUs: number;
}

export type WorkerReply = ConnectedReply | ReportReply | SentReply;
