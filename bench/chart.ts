// A hand-made SVG line chart (no chart library): one small panel per series,
// side by side, sharing the x axis (policies).

export interface Panel {
  readonly title: string;
  readonly unit: string;
  readonly points: readonly { x: number; y: number }[];
  /** A dashed horizontal line, e.g. a target. */
  readonly reference?: { y: number; label: string };
}

const W = 300;
const H = 220;
const M = { left: 52, right: 14, top: 30, bottom: 40 };

export const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** 1, 2 or 5 times a power of ten, so that about `n` ticks cover `max`. */
export function niceStep(max: number, n: number): number {
  const raw = max / n;
  const p = 10 ** Math.floor(Math.log10(raw || 1));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
}

export const fmt = (v: number): string => (v >= 1000 ? `${v / 1000}k` : Number.isInteger(v) ? String(v) : v.toFixed(1));

function panel(p: Panel, offsetX: number, xMax: number): string {
  const iw = W - M.left - M.right;
  const ih = H - M.top - M.bottom;
  const yTop = Math.max(...p.points.map((q) => q.y), p.reference?.y ?? 0) * 1.1 || 1;
  const yStep = niceStep(yTop, 4);
  const yMax = Math.ceil(yTop / yStep) * yStep;
  const xStep = niceStep(xMax, 4);
  const X = (x: number): number => offsetX + M.left + (x / xMax) * iw;
  const Y = (y: number): number => M.top + ih - (y / yMax) * ih;
  const out: string[] = [];
  out.push(`<text x="${offsetX + W / 2}" y="18" text-anchor="middle" font-weight="bold">${esc(p.title)} (${esc(p.unit)})</text>`);
  for (let y = 0; y <= yMax + 1e-9; y += yStep) {
    out.push(`<line x1="${X(0)}" x2="${X(xMax)}" y1="${Y(y)}" y2="${Y(y)}" stroke="#ddd"/>`);
    out.push(`<text x="${X(0) - 6}" y="${Y(y) + 4}" text-anchor="end">${fmt(y)}</text>`);
  }
  for (let x = 0; x <= xMax + 1e-9; x += xStep) {
    out.push(`<line x1="${X(x)}" x2="${X(x)}" y1="${Y(0)}" y2="${Y(0) + 4}" stroke="#333"/>`);
    out.push(`<text x="${X(x)}" y="${Y(0) + 16}" text-anchor="middle">${fmt(x)}</text>`);
  }
  out.push(`<line x1="${X(0)}" x2="${X(xMax)}" y1="${Y(0)}" y2="${Y(0)}" stroke="#333"/>`);
  out.push(`<line x1="${X(0)}" x2="${X(0)}" y1="${Y(0)}" y2="${Y(yMax)}" stroke="#333"/>`);
  out.push(`<text x="${X(xMax / 2)}" y="${H - 6}" text-anchor="middle">policies (10 collections each)</text>`);
  if (p.reference) {
    out.push(`<line x1="${X(0)}" x2="${X(xMax)}" y1="${Y(p.reference.y)}" y2="${Y(p.reference.y)}" stroke="#c33" stroke-dasharray="5,4"/>`);
    out.push(`<text x="${X(xMax)}" y="${Y(p.reference.y) - 4}" text-anchor="end" fill="#c33">${esc(p.reference.label)}</text>`);
  }
  const pts = [...p.points].sort((a, b) => a.x - b.x);
  out.push(`<polyline fill="none" stroke="#2a6fdb" stroke-width="2" points="${pts.map((q) => `${X(q.x).toFixed(1)},${Y(q.y).toFixed(1)}`).join(' ')}"/>`);
  for (const q of pts) {
    out.push(`<circle cx="${X(q.x).toFixed(1)}" cy="${Y(q.y).toFixed(1)}" r="3.5" fill="#2a6fdb"><title>${fmt(q.x)} policies: ${q.y} ${esc(p.unit)}</title></circle>`);
  }
  return out.join('\n');
}

export function lineChartSvg(panels: readonly Panel[], caption: string): string {
  const xMax = Math.max(...panels.flatMap((p) => p.points.map((q) => q.x)), 1);
  const width = W * panels.length;
  const body = panels.map((p, i) => panel(p, i * W, xMax)).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${H + 20}" viewBox="0 0 ${width} ${H + 20}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="#fff"/>
${body}
<text x="${width / 2}" y="${H + 14}" text-anchor="middle" fill="#555">${esc(caption)}</text>
</svg>
`;
}
