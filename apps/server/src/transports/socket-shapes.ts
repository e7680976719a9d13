/**
 * Makes node:net give every socket it accepts the same hidden classes, so that accepting a
 * connection leaves no garbage in V8's old space.
 *
 * Node 20's `Socket` constructor copies its options (`options = { ...options }`) and then
 * adds `emitClose`, `autoDestroy` and `decodeStrings` to the copy. V8 11.3 makes such a copy
 * on its fast path with a hidden class (map) outside the transition tree, and a property
 * added to an object of such a class makes a new class every time instead of reusing the
 * one made before: three maps and descriptor arrays for every socket (`node --log-maps`
 * shows three "prototype" transitions per accepted connection). They are made in old space
 * and go only at the next full GC, so a connect ramp left ~1.5 KB per connection there, and
 * the holes they left in pages that also hold live objects stayed after that GC: the memory
 * bench's idle-connection figure jumped by ~1 KiB from run to run with them.
 *
 * Once the inline cache of that copy is megamorphic, V8 copies through its generic path,
 * whose classes are shared like any object literal's, and the garbage is gone: a node:net
 * server accepting 3,000 connections kept 1.6 KB per connection of old-space garbage through
 * two scavenges, 0.15 KB after this. Options that the fast path refuses (a non-enumerable
 * property) make the cache megamorphic at once, but a function gets its caches only after a
 * few calls (V8 allocates them lazily): hence a few dozen sockets. They have no handle:
 * nothing is opened, and each is garbage at once.
 *
 * V8 drops the bytecode of a function that has not run through several full GCs, caches
 * included: a server that accepted nothing for a long while would start over. One more such
 * socket a minute keeps the constructor in use, and makes a cache that did start over
 * megamorphic again. Where V8 copies without this cost, all of it is harmless: it changes
 * which path the copy takes, not what the copy is.
 */
import { Socket } from 'node:net';

/** Calls it takes, with a margin, for V8 to have given the constructor its caches. */
const CALLS = 50;
const REFRESH_MS = 60_000;

/** Options the fast copy refuses: a property it would have to leave out. */
const REFUSED_BY_FAST_COPY: object = Object.defineProperty({}, 'unlisted', { value: true, enumerable: false });

let shared = false;

/** Once per process, before the first connection is accepted (later calls do nothing). */
export function shareSocketOptionShapes(): void {
  if (shared) return;
  shared = true;
  for (let i = 0; i < CALLS; i++) makeUnopenedSocket();
  setInterval(makeUnopenedSocket, REFRESH_MS).unref();
}

function makeUnopenedSocket(): void {
  new Socket(REFUSED_BY_FAST_COPY);
}
