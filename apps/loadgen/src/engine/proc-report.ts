/** What one loadgen process reports at the end of a run (plain data: it crosses IPC). */

export interface ConnectionsReport {
  planned: number;
  ok: number;
  failed: number;
  /** Ready connections that closed before the run ended (server closed them, or errors). */
  closedEarly: number;
  byTransport: { tcp: number; ws: number };
  failureSamples: string[];
  closeSamples: string[];
}

export interface ProcReport {
  proc: number;
  pid: number;
  connections: ConnectionsReport;
  /** [first connect started, last connection ready], µs on the shared clock; null: none ready. */
  connectSpanUs: [number, number] | null;
  /** Encoded HdrHistograms, µs. */
  connectUs: string;
  latencyUs: string;
  ackUs: string;
  stepLatencyUs: string[];
  sent: number;
  sentPerStep: number[];
  acked: number;
  /** Every msg frame received, duplicates included. */
  msgFrames: number;
  framesReceived: number;
  errors: Record<string, number>;
  errorSamples: string[];
  /** Per second since the schedule started. */
  timeline: { sent: number[]; delivered: number[]; latencyUs: string[] };
  /** [room, base, max, missing, ownAbove, own, unique, dup, reorder] per receiver. */
  accounts: number[][];
  /** Highest seq seen (acked or delivered) per room. */
  roomMax: [number, number][];
  cpu: { userMs: number; systemMs: number; wallMs: number; percentOfCore: number };
  maxSendLagMs: number;
  /**
   * The drain ended with everything acked and quiet; false: it reached --drain first, so what
   * had not arrived by then (counted as lost) may have been late rather than lost.
   */
  drained: boolean;
  rssBytes: number;
  /** With --acked-log: this process's acked messages as JSON lines (acked-ledger.ts); else null. */
  ackedLog: string | null;
}

/** A live view for the progress display. */
export interface ProgressSnapshot {
  connected: number;
  failed: number;
  sent: number;
  acked: number;
  delivered: number;
  errors: number;
  /** p99 over the msgs received since the previous snapshot, ms (null: none). */
  recentP99Ms: number | null;
  cpuPercent: number;
}
