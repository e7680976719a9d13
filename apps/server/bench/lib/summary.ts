/** Small numeric helpers for the report. */

export function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** The median of one field over runs. */
export function medianOf<T>(runs: T[], pick: (run: T) => number): number {
  return median(runs.map(pick));
}

export function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '–';
}

/** 123456 → "123k", 1234567 → "1.23M". */
export function rate(value: number): string {
  if (!Number.isFinite(value)) return '–';
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e4) return `${Math.round(value / 1e3)}k`;
  // 1.7k, not 2k: the classifier series lives between 1k and 10k msgs/s.
  if (value >= 1e3) return `${(Math.round(value / 100) / 10).toString()}k`;
  return String(Math.round(value));
}

export function range(values: number[], digits: number): string {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length < 2) return '';
  return ` (${Math.min(...v).toFixed(digits)}–${Math.max(...v).toFixed(digits)})`;
}
