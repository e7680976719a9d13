/** What each sender says: one fixed text per sender, so its msg frame is a constant template. */
import type { RunConfig } from '../config.js';
import type { ConnPlan } from '../plan.js';

const WORDS = 'the quick brown fox jumps over a lazy dog while loopchat counts every frame ';

/** `bytes` of ASCII text, varied per sender so servers cannot dedupe. */
export function messageText(bytes: number, salt: number): string {
  const offset = salt % WORDS.length;
  let text = '';
  while (text.length < bytes + offset) text += WORDS;
  return text.slice(offset, offset + bytes);
}

/** `--texts`: sender k sends line k mod n (k counts senders over every process); else `--size` bytes. */
export function senderText(
  cfg: Pick<RunConfig, 'texts' | 'messageBytes'>,
  p: Pick<ConnPlan, 'index' | 'senderRank'>,
): string {
  if (cfg.texts === null) return messageText(cfg.messageBytes, p.index);
  return cfg.texts[p.senderRank % cfg.texts.length]!;
}
