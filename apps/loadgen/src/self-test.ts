/**
 * `loadgen self-test`: how many received frames per second one loadgen process can take.
 * Pre-built 64 KiB chunks of loopchat msg lines (frames split across chunk boundaries, as
 * TCP delivers them) go through the real receive path — LineScanner, driver parse, seq
 * accounting, HdrHistogram record — with no sockets, so the figure is the client's ceiling.
 * Fixtures are built outside the timed part.
 */
import { resolveRunConfig } from './config.js';
import { nowUs } from './engine/clock.js';
import { Conn } from './engine/connection.js';
import { Engine } from './engine/engine.js';
import { messageText } from './engine/message-text.js';
import { LineScanner } from './engine/frame-scanner.js';
import { decodeHistogram } from './engine/histograms.js';

const CHUNK = 64 * 1024;

export interface SelfTestResult {
  frames: number;
  frameBytes: number;
  seconds: number;
  framesPerSecond: number;
  mbPerSecond: number;
  delivered: number;
  timed: number;
}

function buildChunks(count: number, textBytes: number, baseUs: number): { chunks: Buffer[]; frameBytes: number } {
  const lines: string[] = [];
  const text = JSON.stringify(messageText(textBytes, 3));
  for (let seq = 1; seq <= count; seq++) {
    const id = Math.round(baseUs + seq);
    lines.push(
      `{"type":"msg","room":"lg1a2b3c-r7","from":"lg1a2b3cu15","text":${text},"seq":${seq},"ts":1795572612327,"id":${id}}\n`,
    );
  }
  const all = Buffer.from(lines.join(''));
  const chunks: Buffer[] = [];
  for (let i = 0; i < all.length; i += CHUNK) chunks.push(all.subarray(i, Math.min(all.length, i + CHUNK)));
  return { chunks, frameBytes: Math.round(all.length / count) };
}

function toEngine(conn: Conn, buf: Buffer, start: number, end: number): void {
  conn.host.onFrame(conn, buf, start, end);
}

export function selfTest(totalFrames = 2_000_000, textBytes = 64, passes = 4): SelfTestResult {
  const cfg = resolveRunConfig({ connections: passes, rooms: 1, warmupMs: 0 });
  const engine = new Engine(cfg);
  const startUs = nowUs();
  engine.beginMeasurement(startUs - 1);
  const perPass = Math.ceil(totalFrames / passes);
  const { chunks, frameBytes } = buildChunks(perPass, textBytes, startUs);
  // One receiver per pass, so every frame is a new seq for its receiver (no duplicates).
  const conns = Array.from({ length: passes }, (_, i) => {
    const c = new Conn(engine, engine.driver, i, 0, 'tcp', false);
    c.ready = true;
    c.tracker.start(0);
    c.scanner = new LineScanner();
    return c;
  });
  const t0 = process.hrtime.bigint();
  for (const conn of conns) {
    for (const chunk of chunks) {
      engine.onChunk();
      conn.scanner!.push(chunk, conn, toEngine);
    }
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const report = engine.report();
  const progress = engine.progress();
  const frames = perPass * passes;
  return {
    frames,
    frameBytes,
    seconds,
    framesPerSecond: Math.round(frames / seconds),
    mbPerSecond: Math.round((frames * frameBytes) / seconds / 1e6),
    delivered: progress.delivered,
    timed: decodeHistogram(report.latencyUs).totalCount,
  };
}
