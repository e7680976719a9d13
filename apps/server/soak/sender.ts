/**
 * Which soak connections send: connection `global` is member number floor(global / rooms)
 * of room `global % rooms`, and every `senderEvery`-th member of each room sends, so each
 * room has senders and every other member is a receiver that can account for it.
 */
export function isSender(global: number, rooms: number, senderEvery: number): boolean {
  return Math.floor(global / rooms) % senderEvery === 0;
}
