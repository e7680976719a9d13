/**
 * The messages of the primary part (scenarios/primary.ts) between the bench, the process
 * that runs the real PrimaryBus (primary-host.ts) and its synthetic workers
 * (synthetic-cluster-worker.ts), over node's IPC channel: the control plane only; the
 * messages themselves travel as records on each worker's data socket, as in the cluster.
 *
 *   bench ──go / count / stop──▶ host ──go / stop──▶ workers
 *   bench ◀─ready / count / stopped── host ◀─joined / drained / counts── workers
 *
 * Stopping takes two rounds: a worker's last answer can arrive before the last messages
 * other workers published into its rooms, so the counts are asked for only once every
 * worker has its answers, and a worker gives them after a short settle.
 */

export type ToHost = { t: 'go' } | { t: 'count' } | { t: 'stop' };
export type FromHost =
  | { t: 'ready'; workerPids: number[]; members: number[]; defaultFlushMs: number }
  | { t: 'count'; messages: number }
  | { t: 'stopped'; messages: number; workers: WorkerCounts[] }
  | { t: 'failed'; error: string };

/** stop: publish no more and say when every Pub is answered; report: then (all drained) send the counts. */
export type ToWorker = { t: 'go' } | { t: 'stop' } | { t: 'report' };
export type FromWorker =
  { t: 'joined'; members: number } | { t: 'drained' } | ({ t: 'counts' } & WorkerCounts) | { t: 'failed'; error: string };

export interface WorkerCounts {
  /** Pub records written. */
  published: number;
  /** Msg records flagged as the answer to one of this worker's Pubs. */
  answered: number;
  /** Msg records received in all (answers and messages for this worker's members alike). */
  msgRecords: number;
  /** Pubs still unanswered when the worker reported (0 once drained). */
  outstanding: number;
}

/** Which synthetic worker holds member `member` of room `room`: consecutive members on consecutive workers. */
export function workerOf(room: number, member: number, members: number, workers: number): number {
  return (room * members + member) % workers;
}
