/**
 * Timestamps kept per connection, as milliseconds since this process started rather than
 * since the epoch. V8 keeps an integer below 2^31 in the object's own field (a Smi), but a
 * Date.now() value (~1.8e12) needs a 16-byte heap number per field per object: three of
 * them were ~50 bytes of an idle connection's ~4 KiB. After 24.8 days of uptime the values
 * outgrow a Smi and are boxed again: still correct, only no longer small.
 */
const ORIGIN = Date.now();

/** Now, as a compact timestamp. */
export function compactNow(): number {
  return Date.now() - ORIGIN;
}

export function toCompact(epochMs: number): number {
  return epochMs - ORIGIN;
}

export function toEpochMs(compact: number): number {
  return compact + ORIGIN;
}
