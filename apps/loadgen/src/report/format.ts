/** Number formatting shared by the text reports. */

export function ms(v: number | null): string {
  if (v === null) return '–';
  return v >= 100 ? `${v.toFixed(0)} ms` : v >= 10 ? `${v.toFixed(1)} ms` : `${v.toFixed(2)} ms`;
}

export function int(v: number | null): string {
  return v === null ? '–' : Math.round(v).toLocaleString('en-US');
}

export function mib(bytes: number | null): string {
  return bytes === null ? '–' : `${(bytes / 1048576).toFixed(1)} MiB`;
}
