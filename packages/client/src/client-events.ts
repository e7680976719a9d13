/** The events a `ChatClient` emits, by name, with their payloads. */
import type {
  DeleteFrame,
  DmFrame,
  ModFrame,
  MsgFrame,
  NoticeFrame,
  PresenceFrame,
  TopicFrame,
  TypingFrame,
  WelcomeFrame,
} from '@loopchat/protocol';
import type { ClientError } from './errors.js';

export interface ClientEvents {
  /** A connection opened (the first, or a reconnect), before `hello`. */
  open: undefined;
  /** The server accepted `hello`: after `hello()`, and again after every reconnect. */
  welcome: WelcomeFrame;
  /**
   * A message in a joined room, exactly once and in seq order per room, including your own
   * (from your `send` ack) and those recovered from history after a gap or a reconnect.
   */
  message: MsgFrame;
  /** A direct message to you. */
  dm: DmFrame;
  /**
   * Someone joined, left or (`rename`, with `old`) changed nick in a room you are in. A leave
   * with `quit: true` means its connection ended: it left every room, each of which says so.
   */
  presence: PresenceFrame;
  /** A room's topic: on join when one is set, when it changes, and the answer to `topic(room)`. */
  topic: TopicFrame;
  /** An operator's act in a room you are in (op, deop, kick, ban, unban, mute, unmute, slow); you may be its target. */
  mod: ModFrame;
  /** Message `seq` of a room you are in was deleted (history now holds a tombstone: `deleted: true`). */
  delete: DeleteFrame;
  /**
   * Someone is typing in a room you are in (not sent in rooms over the server's presence
   * limit). Show it for a little longer than TYPING_INTERVAL_MS unless it comes again; a
   * message from that nick ends it.
   */
  typing: TypingFrame;
  /** A notice from the server's operators (or about a masked word in your message). */
  notice: NoticeFrame;
  /**
   * An `error` frame that answers no request: usually why the server is about to close the
   * connection (`slow_consumer`, `idle_timeout`, `kicked`, `shutdown`, ...).
   */
  error: ClientError;
  /**
   * Messages after `since` of `room` were missed (a seq skipped, or a reconnect) and are being
   * asked from history; they follow as `message` events, or as a `gap` if history lost them.
   */
  recovering: { room: string; since: number };
  /** Messages `from`..`to` of `room` were missed and are no longer in the server's history. */
  gap: { room: string; from: number; to: number };
  /** `room`'s seq went back to `seq` (its server lost its history); delivery continues from there. */
  reset: { room: string; seq: number };
  /** The connection closed; `willReconnect` says whether the client tries again. */
  close: { code?: number; reason: string; willReconnect: boolean };
  /** A reconnect attempt is scheduled in `delayMs`. */
  reconnecting: { attempt: number; delayMs: number };
  /** After a reconnect: registered again (if it had been), rooms re-joined, recovery under way. */
  reconnected: { rooms: string[] };
}
