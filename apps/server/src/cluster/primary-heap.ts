/**
 * The cluster primary's heap: let it grow to four times what is live between full GCs.
 *
 * Why: the primary keeps little (rooms, nicks, the unfolded commit log: ~15 MB live) while
 * tens of MB of Buffers a second pass through it (workers' records, log records, slabs).
 * V8 sizes a heap's next full-GC limit from what was live at the last one, times a factor
 * it picks from how fast the program allocates against how fast it marks; for the primary
 * that factor is its smallest, the Buffers' memory counts toward the same limit, and the
 * primary was never out of a marking cycle: 2–3 full GCs a second under a steady 4,000
 * msgs/s of 1.5 KB texts (`node --trace-gc`), a quarter of its CPU. With the factor at 4
 * (V8's own largest, which it uses when marking is slow against allocation): 2 full GCs in
 * the same 11 s instead of ~30, the primary's CPU per message 64–70 → 52–57 µs, its RSS
 * under that load 143 → 190 MB (in situ: 2 workers, `--filter basic`, 500 rooms × 4, 2
 * alternating runs each). At saturation (the bench's primary part) it changes nothing: large
 * batches allocate little per message.
 *
 * It is set at startup with v8.setFlagsFromString, before any load: an integer V8 reads on
 * the main thread each time it sizes the heap after a GC (Node keeps V8's flags writable for
 * this API). The command-line flag that would do it (--initial-old-space-size) cannot be
 * given by the program itself to the process it already is. Node warns that flags set at
 * runtime may do nothing: then the primary runs with V8's defaults, as before.
 */
import v8 from 'node:v8';

/** The heap may grow to (1 + this / 100) × what was live at the last full GC. */
const HEAP_GROWING_PERCENT = 300;

export function growPrimaryHeap(): void {
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
