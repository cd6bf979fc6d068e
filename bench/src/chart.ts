/**
 * A small log-log line chart of time against N as an SVG string: a pure function, no
 * dependencies. Series with one point are drawn as a marker; `extrapolate` draws a dashed
 * line through the origin-proportional fit (seconds/N x N) across the whole N range.
 */

export interface ChartPoint {
  n: number;
  seconds: number;
}

export interface ChartSeries {
  label: string;
  color: string;
  points: ChartPoint[];
  /** Also draw the proportional extrapolation of this series' points, dashed. */
  extrapolate?: boolean;
}

export interface ChartOptions {
  title: string;
  subtitle?: string;
  width?: number;
  height?: number;
}

const margin = { top: 56, right: 190, bottom: 48, left: 64 };

export function renderChart(series: ChartSeries[], options: ChartOptions): string {
  const width = options.width ?? 760;
  const height = options.height ?? 420;
  const all = series.flatMap((s) => s.points).filter((p) => p.n > 0 && p.seconds > 0);
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const ns = all.map((p) => p.n);
  const xs = decades(ns.length ? Math.min(...ns) : 1, ns.length ? Math.max(...ns) : 10);
  const fitted = series.flatMap((s) => (s.extrapolate ? extrapolated(s, xs.min, xs.max) : []));
  const secs = [...all, ...fitted].map((p) => p.seconds);
  const ys = decades(secs.length ? Math.min(...secs) : 0.1, secs.length ? Math.max(...secs) : 1);
  const x = (n: number) =>
    margin.left + ((Math.log10(n) - xs.lo) / Math.max(1e-9, xs.hi - xs.lo)) * plotW;
  const y = (s: number) =>
    margin.top + plotH - ((Math.log10(s) - ys.lo) / Math.max(1e-9, ys.hi - ys.lo)) * plotH;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="chart-title" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12">`,
    `<title id="chart-title">${esc(options.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${margin.left}" y="22" font-size="15" font-weight="600">${esc(options.title)}</text>`,
  );
  if (options.subtitle) {
    out.push(`<text x="${margin.left}" y="40" fill="#555">${esc(options.subtitle)}</text>`);
  }
  // Grid and ticks, one per decade.
  for (let e = xs.lo; e <= xs.hi; e++) {
    const px = x(10 ** e);
    out.push(
      `<line x1="${f(px)}" y1="${margin.top}" x2="${f(px)}" y2="${margin.top + plotH}" stroke="#e5e5e5"/>`,
      `<text x="${f(px)}" y="${margin.top + plotH + 18}" text-anchor="middle" fill="#333">${countLabel(10 ** e)}</text>`,
    );
  }
  for (let e = ys.lo; e <= ys.hi; e++) {
    const py = y(10 ** e);
    out.push(
      `<line x1="${margin.left}" y1="${f(py)}" x2="${margin.left + plotW}" y2="${f(py)}" stroke="#e5e5e5"/>`,
      `<text x="${margin.left - 8}" y="${f(py + 4)}" text-anchor="end" fill="#333">${secondsLabel(10 ** e)}</text>`,
    );
  }
  out.push(
    `<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
    `<text x="${margin.left + plotW / 2}" y="${height - 10}" text-anchor="middle" fill="#333">orders (N, log scale)</text>`,
    `<text transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#333">seconds (log scale)</text>`,
  );

  series.forEach((s, index) => {
    const points = s.points.filter((p) => p.n > 0 && p.seconds > 0).sort((a, b) => a.n - b.n);
    if (s.extrapolate && points.length > 0) {
      const line = extrapolated(s, xs.min, xs.max);
      out.push(
        `<polyline points="${line.map((p) => `${f(x(p.n))},${f(y(p.seconds))}`).join(' ')}" fill="none" stroke="${s.color}" stroke-width="1.5" stroke-dasharray="5 4" opacity="0.7"/>`,
      );
    }
    if (points.length > 1) {
      out.push(
        `<polyline points="${points.map((p) => `${f(x(p.n))},${f(y(p.seconds))}`).join(' ')}" fill="none" stroke="${s.color}" stroke-width="2"/>`,
      );
    }
    for (const p of points) {
      out.push(
        `<circle cx="${f(x(p.n))}" cy="${f(y(p.seconds))}" r="4" fill="${s.color}"><title>${esc(s.label)}: N=${p.n}, ${p.seconds} s</title></circle>`,
        `<text x="${f(x(p.n) + 6)}" y="${f(y(p.seconds) - 6)}" fill="${s.color}" font-size="10">${secondsLabel(p.seconds, true)}</text>`,
      );
    }
    // Legend.
    const ly = margin.top + 8 + index * 20;
    const lx = margin.left + plotW + 16;
    out.push(
      `<line x1="${lx}" y1="${ly}" x2="${lx + 22}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.extrapolate ? ' stroke-dasharray="5 4"' : ''}/>`,
      `<circle cx="${lx + 11}" cy="${ly}" r="4" fill="${s.color}"/>`,
      `<text x="${lx + 30}" y="${ly + 4}" fill="#222">${esc(s.label)}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function extrapolated(s: ChartSeries, minN: number, maxN: number): ChartPoint[] {
  const points = s.points.filter((p) => p.n > 0 && p.seconds > 0);
  if (points.length === 0) return [];
  const perOrder = points.reduce((sum, p) => sum + p.seconds / p.n, 0) / points.length;
  return [
    { n: minN, seconds: perOrder * minN },
    { n: maxN, seconds: perOrder * maxN },
  ];
}

/** Whole decades around [min, max]. */
function decades(min: number, max: number) {
  const lo = Math.floor(Math.log10(min));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(max)));
  return { lo, hi, min: 10 ** lo, max: 10 ** hi };
}

export function countLabel(n: number): string {
  if (n >= 1e6) return `${trim(n / 1e6)}M`;
  if (n >= 1e3) return `${trim(n / 1e3)}k`;
  return trim(n);
}

export function secondsLabel(s: number, precise = false): string {
  if (precise) return s >= 10 ? `${Math.round(s)} s` : `${Number(s.toPrecision(2))} s`;
  if (s < 1) return `${Number(s.toPrecision(1))} s`;
  return `${trim(s)} s`;
}

const trim = (value: number) => String(Number(value.toFixed(2)));
const f = (value: number) => value.toFixed(1);

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
