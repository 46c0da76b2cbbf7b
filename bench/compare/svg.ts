/**
 * A self-contained SVG bar chart of the ratios (custos / peer, wall-clock medians) on a log
 * scale, each bar with its target from the issue drawn across it, a line at parity (1×), and a
 * second panel with every custos run's peak RSS against the 128 MiB bound.
 */
import type { Row } from './report.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function ratioChart(rows: readonly Row[], rss: readonly { name: string; mib: number }[], caption: string, rssBound = 128): string {
  const bars = rows.filter((r): r is Row & { ratio: number } => r.ratio !== null && Number.isFinite(r.ratio));
  const W = 900;
  const left = 330;
  const right = 70;
  const rowH = 26;
  const top = 56;
  const plotW = W - left - right;
  const values = bars.flatMap((r) => [r.ratio, r.target ?? 1]);
  const lo = Math.min(0.25, ...values.map((v) => v / 1.2));
  const hi = Math.max(16, ...values.map((v) => v * 1.2));
  const x = (v: number) => left + ((Math.log(v) - Math.log(lo)) / (Math.log(hi) - Math.log(lo))) * plotW;
  const h1 = top + bars.length * rowH + 30;
  const rssTop = h1 + 40;
  const rssH = rss.length * 20 + 50;
  const H = rssTop + rssH;
  const o: string[] = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  o.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  o.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">custos vs peers: throughput ratio (custos / peer, median of runs; log scale)</text>`);
  o.push(`<text x="${W / 2}" y="38" text-anchor="middle" fill="#555">${esc(caption)}</text>`);
  for (const t of [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64].filter((t) => t >= lo && t <= hi)) {
    o.push(`<line x1="${x(t).toFixed(1)}" y1="${top - 6}" x2="${x(t).toFixed(1)}" y2="${top + bars.length * rowH}" stroke="${t === 1 ? '#333' : '#ddd'}" stroke-width="${t === 1 ? 1.5 : 1}"/>`);
    o.push(`<text x="${x(t).toFixed(1)}" y="${top + bars.length * rowH + 16}" text-anchor="middle" fill="#333">${t}×</text>`);
  }
  bars.forEach((r, i) => {
    const y = top + i * rowH;
    const fill = r.met === null ? '#999' : r.met ? '#3a7bd5' : '#d9534f';
    const x0 = x(lo);
    o.push(`<text x="${left - 8}" y="${y + 17}" text-anchor="end">${esc(r.name)}</text>`);
    o.push(`<rect x="${x0}" y="${y + 5}" width="${Math.max(1, x(r.ratio) - x0).toFixed(1)}" height="${rowH - 10}" fill="${fill}"/>`);
    o.push(`<text x="${(x(r.ratio) + 4).toFixed(1)}" y="${y + 17}" fill="#000">${r.ratio.toFixed(2)}×</text>`);
    if (r.target !== null) {
      o.push(`<line x1="${x(r.target).toFixed(1)}" y1="${y + 1}" x2="${x(r.target).toFixed(1)}" y2="${y + rowH - 1}" stroke="#e08a00" stroke-width="3"><title>target ≥ ${r.target}×</title></line>`);
    }
  });
  o.push(`<text x="${left}" y="${h1}" fill="#555"><tspan fill="#e08a00" font-weight="bold">|</tspan> target of issue 9 (orange); blue = met, red = missed, grey = informational (no target)</text>`);
  // RSS panel
  const rx = (v: number) => left + (v / Math.max(rssBound * 1.25, ...rss.map((r) => r.mib * 1.1))) * plotW;
  o.push(`<text x="${W / 2}" y="${rssTop}" text-anchor="middle" font-size="14" font-weight="bold">peak RSS of each custos file run (MiB, largest over the runs; bound ${rssBound} MiB)</text>`);
  rss.forEach((r, i) => {
    const y = rssTop + 12 + i * 20;
    o.push(`<text x="${left - 8}" y="${y + 13}" text-anchor="end">${esc(r.name)}</text>`);
    o.push(`<rect x="${left}" y="${y + 3}" width="${Math.max(1, rx(r.mib) - left).toFixed(1)}" height="13" fill="${r.mib <= rssBound ? '#5cb85c' : '#d9534f'}"/>`);
    o.push(`<text x="${(rx(r.mib) + 4).toFixed(1)}" y="${y + 14}">${r.mib.toFixed(0)}</text>`);
  });
  const yEnd = rssTop + 12 + rss.length * 20;
  o.push(`<line x1="${rx(rssBound).toFixed(1)}" y1="${rssTop + 8}" x2="${rx(rssBound).toFixed(1)}" y2="${yEnd}" stroke="#e08a00" stroke-width="3"/>`);
  o.push(`<text x="${rx(rssBound).toFixed(1)}" y="${yEnd + 14}" text-anchor="middle" fill="#e08a00">${rssBound} MiB</text>`);
  o.push('</svg>');
  return `${o.join('\n')}\n`;
}
