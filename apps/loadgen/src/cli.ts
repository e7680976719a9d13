#!/usr/bin/env node
/**
 * loopchat-loadgen: `run` drives a scenario against a running server; `scale` starts
 * loopchat itself at several worker counts (or connection counts) and searches for the
 * highest rate each sustains. Exit codes (verdict.ts): 0 PASS, 99 FAILED (thresholds, failed
 * connections, efficiency; like k6), 98 INCONCLUSIVE (the loadgen was the bottleneck),
 * 2 bad usage, 1 anything else.
 */
import { Command, Option } from 'commander';
import { runCommand } from './commands/run.js';
import { scaleCommand } from './commands/scale.js';
import { LoadgenError, type LoadgenErrorCode } from './errors.js';
import { selfTest } from './self-test.js';
import { collect } from './options.js';

const USAGE_EXIT_CODE = 2;
/** Mistakes in the command line (exit 2) as opposed to failures while running (exit 1). */
const USAGE_ERRORS = new Set<LoadgenErrorCode>(['LG_INVALID_OPTION', 'LG_INVALID_THRESHOLD', 'LG_REMOTE_TARGET']);

function addRunOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '--driver <name>',
        'server protocol: loopchat, naive-ws, naive-net, socketio, or none (no protocol: only holds connections, needs --senders 0 or --rate 0)',
      ).default('loopchat'),
    )
    .option('--transport <tcp|ws>', 'one transport for every connection (default: the driver’s first: tcp for loopchat)')
    .option('--mix <shares>', 'transport mix, e.g. tcp=0.5,ws=0.5 (overrides --transport)')
    .option('--tcp <host:port>', 'TCP target', '127.0.0.1:4000')
    .option(
      '--ws <url>',
      'WebSocket target (ws://host:port takes the driver’s path, /ws for loopchat)',
      'ws://127.0.0.1:8080',
    )
    .option('--receiver-tcp <host:port>', 'TCP target of the members that do not send (default: --tcp)')
    .option('--receiver-ws <url>', 'WebSocket target of the members that do not send (default: --ws)')
    .option('-c, --connections <n>', 'connections in total', '100')
    .option('--rooms <n>', 'rooms (default min(10, connections))')
    .option('--room-size <dist>', 'room-size distribution: uniform, zipf or zipf:EXPONENT', 'uniform')
    .option('--senders <fraction>', 'share of each room’s members that send (≥ 1 per room when > 0)', '1')
    .option('--size <bytes>', 'message text size, bytes (ignored with --texts)', '64')
    .option(
      '--texts <file>',
      'message texts, one per line (UTF-8, empty lines skipped, ≤ 16 MiB, ≤ 1,000,000 lines): sender k always sends line k mod n',
    )
    .option('--rate <list>', 'open-model arrival rate, msg/s over all senders: 1000, or stepped 1000,2000,4000', '1000')
    .option('--step-duration <dur>', 'length of each rate step (default: --duration ÷ steps)')
    .option('--duration <dur>', 'measured length of the run (10s, 500ms, 2m)', '10s')
    .option('--warmup <dur>', 'load at the first rate before measuring (counted, not timed)', '2s')
    .option('--connect-rate <n>', 'new connections per second (ramp-up)', '2000')
    .option('--connect-timeout <dur>', 'give up on a connection (connect → joined) after', '10s')
    .option('--drain <dur>', 'longest wait after the schedule for acks and deliveries', '5s')
    .option('--procs <n|auto>', 'loadgen processes (each ≤ 19,000 sockets)', '1')
    .option('--source-ips <list>', 'local addresses to connect from, e.g. 127.0.0.2-127.0.0.9 (~28k ports each)')
    .option('--http <url>', 'server HTTP base URL: /stats and /metrics sampled before and after')
    .option('--server-pid <pid>', 'server pid: CPU and RSS of its process tree from /proc')
    .option('--allow-remote', 'allow non-loopback targets')
    .option('--threshold <expr>', 'pass/fail rule, repeatable: p99<50ms, loss==0, errors<10, delivered_rate>=99.9%', collect)
    .option('--out <file>', 'write the JSON result')
    .option('--md <file>', 'write the Markdown summary')
    .option('--svg <file>', 'write the latency/throughput chart')
    .option('--acked-log <file>', 'write every acked message as a JSON line {room,seq,id,from,text}')
    .option('--no-progress', 'no live progress on stderr')
    .option('-q, --quiet', 'no summary on stdout');
}

export function buildProgram(): Command {
  const program = new Command('loopchat-loadgen')
    .description('Open-model load generator for loopchat (and Socket.IO / naive ws peers)')
    .showHelpAfterError(true);
  addRunOptions(
    program
      .command('run')
      .description('drive a scenario against a running server')
      .addHelpText(
        'after',
        `
Stopping early: the first Ctrl-C (SIGINT) ends the schedule, drains and reports what was
measured; a second one kills. Started with an IPC channel (fork(), or spawn() with an 'ipc'
stdio entry), run sends its parent {loadgen:'connected',ok,failed,planned},
{loadgen:'schedule',startInMs,warmupMs,totalMs}, {loadgen:'scheduled'} and
{loadgen:'drained'}, and takes {loadgen:'stop'} (same as Ctrl-C).`,
      ),
  ).action(async (flags: Record<string, unknown>) => {
    process.exitCode = await runCommand(flags);
  });
  program
    .command('scale')
    .description('start loopchat at each worker count (or connection count) and find the highest rate it sustains')
    .option('--workers <list>', 'worker counts to compare', '1,2')
    .option('--connections-sweep <list>', 'instead: memory per connection at these connection counts, e.g. 1000,10000,20000')
    .option('--transport <tcp|ws>', 'transport', 'tcp')
    .option('-c, --connections <n>', 'connections per probe', '200')
    .option('--rooms <n>', 'rooms', '50')
    .option('--size <bytes>', 'message text size', '64')
    .option('--start-rate <n>', 'first probe rate, msg/s', '1000')
    .option('--max-rate <n>', 'never probe above', '200000')
    .option('--probe-duration <dur>', 'measured length of each probe', '3s')
    .option('--warmup <dur>', 'warm-up of each probe', '1s')
    .option('--slo-p99 <dur>', 'a rate is sustained when p99 is under this and nothing is lost', '50ms')
    .option('--bisect <n>', 'bisection steps after the first failing rate', '3')
    .option('--min-efficiency <x>', 'FAILED (exit 99) when rate_N ÷ (N × rate_1) is below this')
    .option('--procs <n|auto>', 'loadgen processes', 'auto')
    .option('--source-ips <list>', 'local addresses to connect from')
    .option('--server <path>', 'loopchat main.js', '')
    .option('--server-arg <arg>', 'extra server flag, repeatable', collect)
    .option('--out <file>', 'write the JSON report')
    .option('--md <file>', 'write the Markdown report')
    .option('-q, --quiet', 'no report on stdout')
    .action(async (flags: Record<string, unknown>) => {
      process.exitCode = await scaleCommand(flags);
    });
  program
    .command('self-test')
    .description('measure the receive path: frames/s one loadgen process can take (no sockets)')
    .option('--frames <n>', 'frames to feed', '2000000')
    .option('--size <bytes>', 'message text size', '64')
    .option('--min <fps>', 'exit 99 below this many frames/s', '1000000')
    .action((flags: { frames: string; size: string; min: string }) => {
      selfTest(200_000, Number(flags.size)); // warm the JIT outside the measurement
      const r = selfTest(Number(flags.frames), Number(flags.size));
      const ok = r.framesPerSecond >= Number(flags.min) && r.delivered === r.frames && r.timed === r.frames;
      process.stdout.write(
        `receive path: ${r.frames.toLocaleString('en-US')} frames of ${r.frameBytes} B in ${r.seconds.toFixed(3)} s = ` +
          `${r.framesPerSecond.toLocaleString('en-US')} frames/s (${r.mbPerSecond} MB/s), ${r.delivered.toLocaleString('en-US')} counted, ${r.timed.toLocaleString('en-US')} timed — ${ok ? 'ok' : 'BELOW TARGET'}\n`,
      );
      process.exitCode = ok ? 0 : 99;
    });
  return program;
}

async function main(): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (err) {
    if (err instanceof LoadgenError) {
      process.stderr.write(`loadgen: ${err.code}: ${err.message}\n`);
      process.exitCode = USAGE_ERRORS.has(err.code) ? USAGE_EXIT_CODE : 1;
      return;
    }
    process.stderr.write(`loadgen: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  }
}

await main();
