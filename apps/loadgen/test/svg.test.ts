import { describe, expect, it } from 'vitest';
import { LEGEND_Y, timelineSvg } from '../src/report/svg.js';
import type { TimelinePoint } from '../src/result.js';

const points: TimelinePoint[] = Array.from({ length: 12 }, (_, t) => ({
  t,
  sent: 100,
  delivered: 400,
  p50Ms: 1,
  p99Ms: 2 + t,
}));

describe('timelineSvg', () => {
  it('puts the legend above the plot, clear of the warm-up band', () => {
    const svg = timelineSvg(points, 'title', 2);
    const band = /<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="[\d.]+" fill="#eee"\/>/.exec(svg);
    expect(band).not.toBeNull();
    const plotTop = Number(band![1]);
    const legendLines = [...svg.matchAll(/<line x1="[\d.]+" x2="[\d.]+" y1="([\d.]+)" y2="\1" stroke="#(2a7|c33|999)"/g)];
    expect(legendLines).toHaveLength(3);
    for (const m of legendLines) expect(Number(m[1])).toBe(LEGEND_Y);
    expect(LEGEND_Y + 6).toBeLessThan(plotTop); // below 11 px text's baseline, still above the plot
  });

  it('marks each step of a stepped rate at its start, labelled with its rate', () => {
    const svg = timelineSvg(points, 'title', 2, [
      { startS: 2, rate: 1000 },
      { startS: 7, rate: 2000 },
    ]);
    expect(svg.match(/class="step"/g)).toHaveLength(2);
    expect(svg).toContain('2,000/s');
  });

  it('marks nothing for a single rate', () => {
    expect(timelineSvg(points, 'title', 2, [{ startS: 2, rate: 1000 }])).not.toContain('class="step"');
  });
});
