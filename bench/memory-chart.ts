// The memory time-series chart (docs/performance-memory.svg): one panel per
// scenario, seconds since the operator started on x, MiB on y, one line each
// for RSS, heap used, external and array buffers. Hand-made SVG like
// chart.ts, no chart library.
import { esc, fmt, niceStep } from './chart.ts';
import type { MemorySeries } from './memory-series.ts';

export interface MemoryPanel {
  readonly title: string;
  readonly series: MemorySeries;
  /** A dashed horizontal line, e.g. a target or the VmHWM peak. */
  readonly reference?: { y: number; label: string };
}

const W = 360;
const H = 240;
const M = { left: 48, right: 14, top: 30, bottom: 56 };
/** Column of MemorySeries.samples, its label and colour. */
export const LINES: readonly { column: number; label: string; color: string }[] = [
  { column: 1, label: 'RSS', color: '#2a6fdb' },
  { column: 2, label: 'heap used', color: '#d9822b' },
  { column: 3, label: 'external', color: '#2b9e5a' },
  { column: 4, label: 'array buffers', color: '#9b59b6' },
];

function panel(p: MemoryPanel, offsetX: number): string {
  const rows = p.series.samples;
  const iw = W - M.left - M.right;
  const ih = H - M.top - M.bottom;
  const xTop = Math.max(1, ...rows.map((r) => r[0] ?? 0));
  const yTop = Math.max(1, p.reference?.y ?? 0, ...rows.flatMap((r) => LINES.map((l) => r[l.column] ?? 0))) * 1.1;
  const xStep = niceStep(xTop, 4);
  const yStep = niceStep(yTop, 4);
  const xMax = Math.ceil(xTop / xStep) * xStep;
  const yMax = Math.ceil(yTop / yStep) * yStep;
  const X = (x: number): number => offsetX + M.left + (x / xMax) * iw;
  const Y = (y: number): number => M.top + ih - (y / yMax) * ih;
  const out: string[] = [`<text x="${offsetX + W / 2}" y="18" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`];
  for (let y = 0; y <= yMax + 1e-9; y += yStep) {
    out.push(`<line x1="${X(0)}" x2="${X(xMax)}" y1="${Y(y)}" y2="${Y(y)}" stroke="#ddd"/>`, `<text x="${X(0) - 6}" y="${Y(y) + 4}" text-anchor="end">${fmt(y)}</text>`);
  }
  for (let x = 0; x <= xMax + 1e-9; x += xStep) {
    out.push(`<line x1="${X(x)}" x2="${X(x)}" y1="${Y(0)}" y2="${Y(0) + 4}" stroke="#333"/>`, `<text x="${X(x)}" y="${Y(0) + 16}" text-anchor="middle">${fmt(x)}</text>`);
  }
  out.push(`<line x1="${X(0)}" x2="${X(xMax)}" y1="${Y(0)}" y2="${Y(0)}" stroke="#333"/>`, `<line x1="${X(0)}" x2="${X(0)}" y1="${Y(0)}" y2="${Y(yMax)}" stroke="#333"/>`);
  out.push(`<text x="${X(xMax / 2)}" y="${Y(0) + 30}" text-anchor="middle">seconds since the operator started (MiB on y)</text>`);
  if (p.reference) {
    out.push(`<line x1="${X(0)}" x2="${X(xMax)}" y1="${Y(p.reference.y)}" y2="${Y(p.reference.y)}" stroke="#c33" stroke-dasharray="5,4"/>`);
    out.push(`<text x="${X(xMax)}" y="${Y(p.reference.y) - 4}" text-anchor="end" fill="#c33">${esc(p.reference.label)}</text>`);
  }
  for (const l of LINES) {
    const pts = rows.map((r) => `${X(r[0] ?? 0).toFixed(1)},${Y(r[l.column] ?? 0).toFixed(1)}`).join(' ');
    out.push(`<polyline fill="none" stroke="${l.color}" stroke-width="1.5" points="${pts}"><title>${esc(l.label)}</title></polyline>`);
  }
  // Legend: each entry as wide as its label (about 6 px a character at 11 px).
  let lx = offsetX + 12;
  for (const l of LINES) {
    out.push(`<rect x="${lx}" y="${H - 14}" width="10" height="3" fill="${l.color}"/>`, `<text x="${lx + 14}" y="${H - 10}">${esc(l.label)}</text>`);
    lx += 14 + l.label.length * 6 + 12;
  }
  return out.join('\n');
}

export function memoryChartSvg(panels: readonly MemoryPanel[], caption: string): string {
  const width = W * Math.max(1, panels.length);
  const body = panels.map((p, i) => panel(p, i * W)).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${H + 20}" viewBox="0 0 ${width} ${H + 20}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="#fff"/>
${body}
<text x="${width / 2}" y="${H + 14}" text-anchor="middle" fill="#555">${esc(caption)}</text>
</svg>
`;
}
