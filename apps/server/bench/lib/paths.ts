/** Where things are, relative to this compiled file (apps/server/dist-bench/lib/paths.js). */
import { fileURLToPath } from 'node:url';

const here = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url));

export const REPO_ROOT = here('../../../../');
export const LOOPCHAT_MAIN = here('../../dist/main.js');
/** The moderation filter's public surface, built (what lib/filter-cost.ts measures). */
export const LOOPCHAT_MODERATION = here('../../dist/moderation/index.js');
/** The cluster's data plane, built: the real PrimaryBus and the record codec (the primary part runs them). */
export const LOOPCHAT_PRIMARY_BUS = here('../../dist/cluster/primary-bus.js');
export const LOOPCHAT_RECORDS = here('../../dist/cluster/records.js');
export const LOOPCHAT_CONFIG = here('../../dist/config.js');
export const LOOPCHAT_OPEN_STORE = here('../../dist/history/open-store.js');
export const LOOPCHAT_PRIMARY_HEAP = here('../../dist/cluster/primary-heap.js');
/** How the server reads its open-file limit and what it keeps back (the connections part's headroom check). */
export const LOOPCHAT_OPEN_FILE_LIMIT = here('../../dist/transports/open-file-limit.js');
/** The shipped term list. */
export const FILTER_TERMS = here('../../data/filter-terms.txt');
export const PEERS_DIR = here('../peers/');
/** The load generator's CLI, built (`apps/loadgen/dist/cli.js`): the peers part drives every server with it. */
export const LOADGEN_CLI = here('../../../loadgen/dist/cli.js');
export const WORKERS_DIR = here('../workers/');
export const GC_HOOK = here('./gc-hook.js');
/**
 * Server logs, raw results and the servers' data dirs: never committed. LOOPCHAT_BENCH_TMP
 * gives another, so two benches on one machine (two worktrees) do not share file names.
 */
export const TMP_DIR = process.env['LOOPCHAT_BENCH_TMP'] ?? '/tmp/loopchat-bench';
