/** The Markdown summary (`--md`) of one run. */
import type { RunResult } from '../result.js';
import { int, mib, ms } from './format.js';

export function runMarkdown(r: RunResult): string {
  const c = r.config;
  const m = r.messages;
  const lines: string[] = [];
  lines.push(`# loadgen run — ${r.verdict}`, '');
  if (r.verdictReasons.length > 0) lines.push(`**${r.verdict}**: ${r.verdictReasons.join('; ')}.`, '');
  lines.push(
    `${c.driver}, ${int(c.connections)} connections (tcp ${int(r.connections.byTransport.tcp)}, ws ${int(r.connections.byTransport.ws)}) ` +
      `in ${int(c.rooms)} rooms (${c.roomSize}), senders ${c.senders * 100} %, ` +
      `${c.texts === null ? `${c.messageBytes} B messages` : `${int(c.texts.count)} texts from ${c.texts.file ?? '(given)'}`}, ` +
      `rate ${c.rates.join(' → ')} msg/s × ${c.stepMs / 1000} s after ${c.warmupMs / 1000} s warm-up, ${c.procs} loadgen process(es). ` +
      `Started ${r.startedAt}.`,
    '',
  );
  const t = c.targets;
  if (t.receiverTcp !== t.tcp || t.receiverWs !== t.ws)
    lines.push(`Receivers connected to ${[t.receiverTcp, t.receiverWs].filter((x) => x !== null).join(', ')}.`, '');
  if (r.stoppedEarly) lines.push(`**Stopped early**: ${r.durationMs / 1000} s of the schedule ran.`, '');
  lines.push('| | p50 | p90 | p99 | p99.9 | max |', '|---|---|---|---|---|---|');
  for (const [label, s] of [
    ['message latency', r.latencyMs],
    ['send → ack', r.ackMs],
    ['connect → joined', r.connectMs],
  ] as const) {
    lines.push(`| ${label} | ${ms(s.p50)} | ${ms(s.p90)} | ${ms(s.p99)} | ${ms(s.p999)} | ${ms(s.max)} |`);
  }
  lines.push(
    '',
    '| sent | acked | expected | delivered | lost | duplicates | reordered | errors |',
    '|---|---|---|---|---|---|---|---|',
  );
  lines.push(
    `| ${int(m.sent)} | ${int(m.acked)} | ${int(m.expected)} | ${int(m.delivered)} | ${int(m.lost)} | ${int(m.duplicates)} | ${int(m.reordered)} | ${int(r.errors.total)} |`,
  );
  lines.push('', `Throughput: ${int(m.sentPerSecond)} msg/s sent, ${int(m.deliveredPerSecond)} deliveries/s.`);
  if (r.steps.length > 1) {
    lines.push('', '| step rate | sent | p50 | p99 | max |', '|---|---|---|---|---|');
    for (const s of r.steps)
      lines.push(
        `| ${int(s.rate)} | ${int(s.sent)} | ${ms(s.latencyMs.p50)} | ${ms(s.latencyMs.p99)} | ${ms(s.latencyMs.max)} |`,
      );
  }
  if (Object.keys(r.errors.byCode).length > 0) {
    lines.push(
      '',
      `Errors by code: ${Object.entries(r.errors.byCode)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}.`,
    );
  }
  lines.push(
    '',
    `Connections: ${int(r.connections.ok)} ready, ${int(r.connections.failed)} failed, ${int(r.connections.closedEarly)} closed early; ` +
      `first connect → last ready ${ms(r.connections.connectWallMs)}.`,
  );
  const lg = r.loadgen.procs.map(
    (p) => `pid ${p.pid}: ${p.cpuPercent} % CPU, ${mib(p.rssBytes)}, ${int(p.framesPerSecond)} frames/s`,
  );
  lines.push(`Loadgen: ${lg.join('; ')}; max send lag ${ms(r.loadgen.maxSendLagMs)}.`);
  if (r.server !== null) {
    const s = r.server;
    lines.push(
      `Server: CPU ${s.cpuPercent ?? '–'} % of a core (${s.cpuUsPerMessage ?? '–'} µs per message sent, ${s.cpuUsPerDelivery ?? '–'} µs per delivery), RSS ${mib(s.rssBytes)}, ` +
        `event-loop delay p99 ${ms(s.loopDelayP99Ms)}.`,
    );
  }
  for (const w of r.loadgen.warnings) lines.push('', `> **Warning:** ${w}`);
  if (r.thresholds.length > 0) {
    lines.push('', '| threshold | measured | result |', '|---|---|---|');
    for (const t of r.thresholds)
      lines.push(`| \`${t.threshold}\` | ${t.actual ?? '–'}${t.unit} | ${t.pass ? 'pass' : '**FAIL**'} |`);
  }
  return `${lines.join('\n')}\n`;
}
