/** Messages between the parent and forked loadgen workers (discriminated unions, plain data). */
import type { RunConfig } from './config.js';
import type { ConnectResult } from './engine/engine.js';
import type { ProcReport, ProgressSnapshot } from './engine/proc-report.js';

export type ToWorker =
  | { t: 'init'; cfg: RunConfig; proc: number; procs: number }
  | { t: 'connect' }
  | { t: 'run'; startUs: number; rateShare: number }
  | { t: 'drain' }
  /** End the connect ramp or the schedule now; not answered (the pending connect/run answers). */
  | { t: 'stop' }
  | { t: 'progress' }
  | { t: 'report' }
  | { t: 'close' };

export type FromWorker =
  | { t: 'init'; senders: number }
  | { t: 'connect'; result: ConnectResult }
  | { t: 'run' }
  | { t: 'drain' }
  | { t: 'progress'; snapshot: ProgressSnapshot }
  | { t: 'report'; report: ProcReport }
  | { t: 'close' }
  | { t: 'error'; message: string };
