/**
 * The `run` command's conversation with the process that started it, when that process gave
 * it an IPC channel (fork(), or spawn() with an 'ipc' stdio entry): phase events go up so a
 * harness can measure the server at the right moments (memory with every connection held,
 * CPU over the schedule only), and `stop` comes down to end a long run early. Without a
 * channel nothing is sent. This is the coordinator's channel to *its* parent; forked
 * workers talk to the coordinator over their own channels (ipc.ts) and never send these.
 *
 *   connected ─▶ schedule ─▶ scheduled ─▶ drained ─▶ (result written, exit)
 *   └ every connection ready or failed, before the loadgen samples the server (--http)
 */

/** Sent to the parent, in this order, once each per run. */
export type PhaseEvent =
  /** Every connection is ready or failed (planned = ok + failed). */
  | { loadgen: 'connected'; ok: number; failed: number; planned: number }
  /**
   * The start instant is fixed: the first scheduled send is `startInMs` from now, the
   * measured window begins `warmupMs` after that, the schedule ends `totalMs` (warm-up + all
   * steps) after that. A run stopped before its schedule reports 0, 0, 0.
   */
  | { loadgen: 'schedule'; startInMs: number; warmupMs: number; totalMs: number }
  /** The schedule ended (on time or stopped): the drain begins. */
  | { loadgen: 'scheduled' }
  /** The drain ended; the result is merged and written next. */
  | { loadgen: 'drained' };

/** Accepted from the parent: end the schedule now, drain and report as usual. */
export type ParentCommand = { loadgen: 'stop' };

export interface ParentChannel {
  send(event: PhaseEvent): void;
  /** Stops listening, so the channel no longer keeps the process alive. */
  close(): void;
}

function isStop(message: unknown): message is ParentCommand {
  return typeof message === 'object' && message !== null && (message as { loadgen?: unknown }).loadgen === 'stop';
}

function ignoreSendError(): void {
  // The parent went away mid-run: the run still ends and writes its result.
}

/** The channel to the parent, or null when this process has none; `onStop` runs on each `stop`. */
export function openParentChannel(onStop: () => void): ParentChannel | null {
  if (typeof process.send !== 'function') return null;
  const onMessage = (message: unknown): void => {
    if (isStop(message)) onStop();
  };
  process.on('message', onMessage);
  return {
    send(event) {
      if (process.connected) process.send!(event, undefined, undefined, ignoreSendError);
    },
    close() {
      process.off('message', onMessage);
    },
  };
}
