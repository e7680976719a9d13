/**
 * Room moderation and topic commands as the bus carries them (issue 16): plain data, so a
 * command crosses the cluster's data plane or goes to Redis as it is, and any dialect (JSON,
 * text, IRC's KICK/MODE/TOPIC) can build one. The room's state decides (bus/chat-state.ts
 * with room-rules.ts, or Redis): who is an operator is never the client's word.
 */
import type { DeleteFrame, ModAction, ModFrame, TopicFrame } from '@loopchat/protocol';

/** Who asks: the nick the server registered for the connection, and whether it is a server admin. */
export interface Actor {
  readonly nick: string;
  /** ADMIN_TOKEN or a token with `admin: true`: an operator in every room. */
  readonly admin: boolean;
}

/**
 * `cause`, where the asking session gave one: returned on the command's events (RoomEvent),
 * so they reach that session in order with its answers (core/answer-queue.ts).
 */
export type RoomCommand = { cause?: number } & (
  | { op: 'op' | 'deop' | 'unmute'; room: string; by: Actor; nick: string }
  | { op: 'kick'; room: string; by: Actor; nick: string; reason?: string }
  | { op: 'ban'; room: string; by: Actor; nick?: string; ip?: string; minutes?: number }
  | { op: 'unban'; room: string; by: Actor; nick?: string; ip?: string }
  | { op: 'mute'; room: string; by: Actor; nick: string; minutes?: number }
  | { op: 'slow'; room: string; by: Actor; seconds: number }
  | { op: 'delete'; room: string; by: Actor; seq: number }
  /** Without `text`, asks; with it, sets ("" clears). */
  | { op: 'topic'; room: string; by: Actor; text?: string }
  /** Asks for the room's operators (for `members`). */
  | { op: 'ops'; room: string; by: Actor }
);

/** Why the room's state refused a command or a message (each is a protocol error code). */
export type RoomRefusal =
  | 'not_op'
  | 'not_admin'
  | 'banned'
  | 'muted'
  | 'slow_mode'
  | 'not_member'
  | 'not_in_room'
  | 'no_such_message'
  | 'not_author'
  | 'list_full';

export type RoomCommandOutcome =
  { ok: true; topic?: TopicFrame; ops?: string[] } | { ok: false; refusal: RoomRefusal; message?: string };

/**
 * A room event for members on every process: what an operator did, a topic, a deletion.
 * `to` limits it to one member (the topic a joiner gets); `remove` names the members the
 * room's state already took out (kick, ban), whom each process drops from its local room
 * after delivering the event, so they hear why.
 */
export interface RoomEvent {
  frame: ModFrame | TopicFrame | DeleteFrame;
  to?: string;
  remove?: string[];
  /** The cause of the command that made it (RoomCommand.cause), for the session of its actor (`frame.by`). */
  cause?: number;
}

/** A refusal as a rejected bus request: defined with the server's other errors (errors.ts). */
export { RoomRefusedError } from '../errors.js';

/** The refusals a publish or a join can meet (also the reasons a cluster Fail record carries). */
export const PUBLISH_REFUSALS: ReadonlySet<string> = new Set<RoomRefusal>(['muted', 'slow_mode', 'banned', 'not_in_room']);

export function refuse(refusal: RoomRefusal): RoomCommandOutcome {
  return { ok: false, refusal };
}

export type ModFrameMaker = (action: ModAction, extra?: Partial<ModFrame>) => ModFrame;

/** Builds the `mod` frames of one command: its room, its actor, its time. */
export function modFrames(room: string, by: Actor, now: number): ModFrameMaker {
  return (action, extra = {}) => ({ type: 'mod', room, action, by: by.nick, ...extra, ts: now });
}
