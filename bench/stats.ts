/** Small numeric helpers for the benchmark: medians, a seeded random source, formatting. */

export function median(values: readonly number[]): number {
  if (values.length === 0) {
    return NaN;
  }
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function max(values: readonly number[]): number {
  return values.length ? Math.max(...values) : NaN;
}

export function min(values: readonly number[]): number {
  return values.length ? Math.min(...values) : NaN;
}

/**
 * `n` jitter factors in [1 - spread, 1 + spread], one drawn uniformly inside each of n equal strata
 * and then shuffled: random, but covering the whole range, so the median job sits near the nominal
 * length rather than wherever a handful of draws happened to cluster.
 */
export function stratifiedJitter(n: number, spread: number, random: () => number): number[] {
  const out = Array.from({ length: n }, (_, i) => 1 - spread + (2 * spread * (i + random())) / n);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Seconds with a sensible number of decimals. */
export function fmtSeconds(ms: number): string {
  if (!Number.isFinite(ms)) {
    return '—';
  }
  const s = ms / 1000;
  return `${Math.abs(s) < 10 ? s.toFixed(3) : s.toFixed(2)} s`;
}

export function fmtRatio(r: number): string {
  if (!Number.isFinite(r)) {
    return '—';
  }
  return `${r < 0.1 ? r.toFixed(3) : r.toFixed(2)}×`;
}

export function fmtNumber(n: number, decimals = 0): string {
  return Number.isFinite(n) ? n.toFixed(decimals) : '—';
}

/** Decimal megabytes (10^6 bytes), as the targets and throughputs are stated. */
export function toMB(bytes: number): number {
  return bytes / 1e6;
}

/** A plain-text table: columns padded to their widest cell, numbers right-aligned. */
export function textTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  rightAlign: readonly boolean[] = [],
): string {
  const widths = header.map((h, i) => Math.max(width(h), ...rows.map(r => width(r[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (rightAlign[i] ? padStart(c, widths[i]) : padEnd(c, widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map(w => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  rightAlign: readonly boolean[] = [],
): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  return [
    `| ${header.map(esc).join(' | ')} |`,
    `| ${header.map((_, i) => (rightAlign[i] ? '---:' : '---')).join(' | ')} |`,
    ...rows.map(r => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

function width(s: string): number {
  return [...s].length;
}

function padStart(s: string, w: number): string {
  return ' '.repeat(Math.max(0, w - width(s))) + s;
}

function padEnd(s: string, w: number): string {
  return s + ' '.repeat(Math.max(0, w - width(s)));
}
