/**
 * loopchat flags every bench run adds, with `--tcp-port 0 --http-port 0 --rate 0`.
 *
 * `--filter off`: fan-out has one sender doing 50–3,200 msgs/s, which the moderation
 * filter's flood heuristic (10 msgs per 10 s per sender by default) would reject; the filter
 * costs per message, not per delivery (≈5 µs ÷ 2,000 members). For idle connections it
 * holds no per-connection state, but building its tables at startup leaves ~17 MB of freed
 * heap resident, which the first few thousand connections would reuse and so look cheaper.
 */
export const BENCH_LOOPCHAT_ARGS = ['--filter', 'off'];
