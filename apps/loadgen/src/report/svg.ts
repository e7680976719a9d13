/**
 * The `--svg` chart, written by hand (no chart library): latency p50/p99 per second (left
 * axis, ms) and deliveries per second (right axis) over the run; the warm-up is shaded and
 * each rate step's start is a dashed line labelled with its rate. The legend sits in its own
 * row between the title and the plot, so it covers neither the warm-up band nor the data.
 */
import type { TimelinePoint } from '../result.js';

const W = 800;
const H = 360;
const PAD = { left: 60, right: 70, top: 48, bottom: 40 };
/** Baseline of the legend row: below the title (y 18), above the plot (PAD.top). */
export const LEGEND_Y = 34;

/** A rate step: where it starts (seconds since the schedule started, warm-up included) and its rate. */
export interface StepMark {
  startS: number;
  rate: number;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A "nice" axis maximum ≥ v: 1, 2 or 5 × 10^k. */
function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export function timelineSvg(
  points: readonly TimelinePoint[],
  title: string,
  warmupS = 0,
  steps: readonly StepMark[] = [],
): string {
  const n = Math.max(1, points.length);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const latMax = niceMax(Math.max(0, ...points.map((p) => p.p99Ms ?? 0)));
  const rateMax = niceMax(Math.max(0, ...points.map((p) => p.delivered)));
  const x = (t: number): number => PAD.left + ((t + 0.5) / n) * plotW;
  const yLat = (v: number): number => PAD.top + plotH - (v / latMax) * plotH;
  const yRate = (v: number): number => PAD.top + plotH - (v / rateMax) * plotH;
  const line = (pick: (p: TimelinePoint) => number | null, y: (v: number) => number): string =>
    points
      .filter((p) => pick(p) !== null)
      .map((p) => `${x(p.t).toFixed(1)},${y(pick(p)!).toFixed(1)}`)
      .join(' ');
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
  );
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${W / 2}" y="18" text-anchor="middle" font-size="13">${esc(title)}</text>`);
  if (warmupS > 0) {
    const wx = PAD.left + (Math.min(warmupS, n) / n) * plotW;
    out.push(`<rect x="${PAD.left}" y="${PAD.top}" width="${(wx - PAD.left).toFixed(1)}" height="${plotH}" fill="#eee"/>`);
    out.push(`<text x="${PAD.left + 4}" y="${PAD.top + 12}" fill="#888">warm-up</text>`);
  }
  // Step changes: a rate change explains a jump in the curves, so it is drawn where it happens.
  for (const step of steps.length > 1 ? steps : []) {
    if (step.startS <= 0 || step.startS >= n) continue;
    const sx = (PAD.left + (step.startS / n) * plotW).toFixed(1);
    out.push(
      `<line class="step" x1="${sx}" x2="${sx}" y1="${PAD.top}" y2="${PAD.top + plotH}" stroke="#57c" stroke-dasharray="2 3"/>`,
    );
    out.push(`<text x="${Number(sx) + 3}" y="${PAD.top + 24}" fill="#57c">${step.rate.toLocaleString('en-US')}/s</text>`);
  }
  for (let i = 0; i <= 4; i++) {
    const y = PAD.top + (plotH * i) / 4;
    out.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${PAD.left - 6}" y="${y + 4}" text-anchor="end">${+((latMax * (4 - i)) / 4).toPrecision(3)}</text>`);
    out.push(
      `<text x="${W - PAD.right + 6}" y="${y + 4}">${Math.round((rateMax * (4 - i)) / 4).toLocaleString('en-US')}</text>`,
    );
  }
  const step = Math.max(1, Math.ceil(n / 10));
  for (let t = 0; t < n; t += step)
    out.push(`<text x="${x(t).toFixed(1)}" y="${H - PAD.bottom + 16}" text-anchor="middle">${t}</text>`);
  out.push(`<text x="${W / 2}" y="${H - 6}" text-anchor="middle">seconds</text>`);
  out.push(
    `<text x="14" y="${PAD.top + plotH / 2}" transform="rotate(-90 14 ${PAD.top + plotH / 2})" text-anchor="middle">latency, ms</text>`,
  );
  out.push(
    `<text x="${W - 12}" y="${PAD.top + plotH / 2}" transform="rotate(90 ${W - 12} ${PAD.top + plotH / 2})" text-anchor="middle">deliveries / s</text>`,
  );
  out.push(
    `<polyline fill="none" stroke="#999" stroke-width="1.5" stroke-dasharray="4 3" points="${line((p) => p.delivered, yRate)}"/>`,
  );
  out.push(`<polyline fill="none" stroke="#2a7" stroke-width="2" points="${line((p) => p.p50Ms, yLat)}"/>`);
  out.push(`<polyline fill="none" stroke="#c33" stroke-width="2" points="${line((p) => p.p99Ms, yLat)}"/>`);
  const lx = PAD.left;
  const ly = LEGEND_Y;
  out.push(
    `<line x1="${lx}" x2="${lx + 18}" y1="${ly}" y2="${ly}" stroke="#2a7" stroke-width="2"/><text x="${lx + 22}" y="${ly + 4}">p50</text>`,
  );
  out.push(
    `<line x1="${lx + 60}" x2="${lx + 78}" y1="${ly}" y2="${ly}" stroke="#c33" stroke-width="2"/><text x="${lx + 82}" y="${ly + 4}">p99</text>`,
  );
  out.push(
    `<line x1="${lx + 120}" x2="${lx + 138}" y1="${ly}" y2="${ly}" stroke="#999" stroke-width="1.5" stroke-dasharray="4 3"/><text x="${lx + 142}" y="${ly + 4}">deliveries/s</text>`,
  );
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
