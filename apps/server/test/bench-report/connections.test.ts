/** The connections section of BENCHMARKS.md (bench/report/connections.ts). */
import { describe, expect, it } from 'vitest';
import { connectionsCheckLines, connectionsCommand, renderConnections } from '../../bench/report/connections.js';
import { benchResults, heldResult } from './connections-fixture.js';
import type { ConnectionsResult } from '../../bench/scenarios/connections.js';

function render(x: ConnectionsResult | undefined): string {
  const lines: string[] = [];
  renderConnections(benchResults(x), (line = '') => lines.push(line));
  return lines.join('\n');
}

describe('renderConnections', () => {
  const shown: [string, string][] = [
    ['the heading', '## 100,000 concurrent connections (cluster, --workers 6)'],
    ['the date and the machine', '2026-12-04T19:00:00.000Z on AMD EPYC, 2 cores'],
    ['the server command', 'apps/server/dist/main.js --tcp-port 0 --workers 6`'],
    ['the holding loadgen command', '`node apps/loadgen/dist/cli.js run --connections 100000`'],
    ['the broadcast loadgen command', '`node apps/loadgen/dist/cli.js run --connections 2000 --rooms 1`'],
    ['the bench command', `\`${connectionsCommand(benchResults(undefined).options)}\``],
    ['the ramp', '| 100,000 | 100,000 | 0 | 40.0 | 2.5k / 2.5k | 12.0 / 80.0 | 500 | 50 | 3 |'],
    ['the memory', '| 300.0 → 900.0 → 800.0 | **5.12** | 6.14 | 8.19 | 2.05 | 0.10 | 7 and 7 of 7 processes |'],
    ['each worker', '| worker | 12 | 17,600 | 120.0 |'],
    ['the broadcast', '| 2,000 | 100k | 100k | 4.2 / 31.0 | **1.25** | 125 | 40 | 12 | 2 | yes (1,199,400) |'],
    ['the goal', '| connections/s, first connect to last ready | 2.5k | ≥ 2.5k | met |'],
  ];
  it.each(shown)('shows %s', (_, text) => {
    expect(render(heldResult())).toContain(text);
  });

  it('warns when the GC hook did not reach every process', () => {
    expect(render(heldResult({ gcAnswered: [1, 1] }))).toContain('**not every process**');
  });

  it('says so when the part or its broadcast did not run', () => {
    expect(render(undefined)).toContain('Not measured: see the checks.');
    const { broadcast: _, ...noBroadcast } = heldResult();
    expect(render(noBroadcast)).toContain('The broadcast failed: see the checks.');
  });

  it('spells out the command with every --connections-* flag', () => {
    expect(connectionsCommand(benchResults(undefined).options)).toBe(
      'npm run bench -- --only connections --connections-held 100000 --connections-workers 6 --connections-connect-rate 2500 ' +
        '--connections-procs 6 --connections-rooms 5000 --connections-settle 3000 --connections-members 2000 ' +
        '--connections-member-procs 2 --connections-rate 100000 --connections-warmup 2 --connections-duration 10',
    );
  });
});

describe('connectionsCheckLines', () => {
  it('lists the part’s and the broadcast’s problems and warnings', () => {
    const lines = connectionsCheckLines(benchResults(heldResult({ problems: ['only 99,940/100,000 ready'] })));
    expect(lines).toContain('- connections: only 99,940/100,000 ready');
    expect(lines).toContain('- connections, broadcast: warning: loadgen near a core');
  });

  it('is empty when the part did not run', () => {
    expect(connectionsCheckLines(benchResults(undefined))).toEqual([]);
  });
});
