/**
 * Publication formats for {@link OversightStatistics}: CSV (RFC 4180) and a self-contained SVG
 * chart of the time-to-fulfilment histogram that a report can embed.
 *
 * Every text that reaches the SVG is XML-escaped, and every CSV field is quoted when needed and
 * defused when it could start a spreadsheet formula (`=`, `+`, `-`, `@`, tab, CR), since refusal
 * ground codes and labels end up in documents opened by people with spreadsheet software.
 */
import type { Cell, SuppressedTable } from './suppression.js';
import { FULFILMENT_BINS, type OversightStatistics } from './statistics.js';

function csvField(v: string): string {
  const defused = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n']/.test(defused) ? `"${defused.replace(/"/g, '""')}"` : defused;
}

const cellText = (c: Cell | number | null): string => (c === null ? '' : String(c));

/**
 * The statistics as CSV rows `section,key,value` (CRLF line ends, header row first).
 *
 * @example
 * ```ts
 * writeFileSync('statistics.csv', statisticsCsv(stats));
 * ```
 */
export function statisticsCsv(s: OversightStatistics): string {
  const rows: string[][] = [['section', 'key', 'value']];
  rows.push(['period', 'from', s.period.from], ['period', 'to', s.period.to], ['period', 'now', s.period.now]);
  rows.push(['suppression', 'below', String(s.suppressBelow)], ['suppression', 'withheld', String(s.withheld)]);
  rows.push(['total', '', cellText(s.total)]);
  const table = (name: string, t: SuppressedTable<string>): void => {
    rows.push([name, 'total', cellText(t.total)]);
    for (const [k, v] of Object.entries(t.cells) as Array<[string, Cell]>) rows.push([name, k, cellText(v)]);
  };
  table('instrument', s.byInstrument);
  table('dataCategory', s.byDataCategory);
  table('emergency', s.byEmergency);
  table('outcome', s.byOutcome);
  table('refusalGround', s.byRefusalGround);
  table('overdue', s.overdue);
  rows.push(['overdue', 'rate', cellText(s.overdue.rate)]);
  rows.push(['timeToFulfilment', 'medianHours', cellText(s.timeToFulfilment.medianHours)]);
  rows.push(['timeToFulfilment', 'meanHours', cellText(s.timeToFulfilment.meanHours)]);
  rows.push(['timeToFulfilment', 'p90Hours', cellText(s.timeToFulfilment.p90Hours)]);
  table('fulfilmentHistogram', s.timeToFulfilment.histogram);
  rows.push(['excluded', 'requestsWithoutChain', String(s.excluded.requestsWithoutChain)]);
  rows.push(['excluded', 'chainsWithoutRequest', String(s.excluded.chainsWithoutRequest)]);
  return rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/**
 * The statistics as indented JSON text (the object is plain data; this fixes the layout).
 *
 * @example
 * ```ts
 * writeFileSync('statistics.json', statisticsJson(stats));
 * ```
 */
export function statisticsJson(s: OversightStatistics): string {
  return `${JSON.stringify(s, null, 2)}\n`;
}

/** Escapes text for XML character data and attribute values. */
export function xmlEscape(s: string): string {
  // Characters XML 1.0 does not allow at all are replaced, so the document stays well-formed.
  return s
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export interface ChartOptions {
  /** Chart title (default: "Time to fulfilment"). */
  readonly title?: string;
  readonly width?: number;
  readonly height?: number;
}

/**
 * A self-contained SVG bar chart of the time-to-fulfilment histogram. Hidden bins are drawn as
 * an outlined placeholder labelled with their published value ("<5" or "x"), never as a bar
 * whose height would disclose the count.
 *
 * @example
 * ```ts
 * writeFileSync('time-to-fulfilment.svg', fulfilmentChartSvg(stats, { title: 'EPOC 2026' }));
 * ```
 */
export function fulfilmentChartSvg(s: OversightStatistics, opts: ChartOptions = {}): string {
  const width = Math.max(320, Math.min(4000, Math.floor(opts.width ?? 720)));
  const height = Math.max(200, Math.min(3000, Math.floor(opts.height ?? 360)));
  const title = opts.title ?? 'Time to fulfilment';
  const left = 48, right = 16, top = 48, bottom = 56;
  const plotW = width - left - right, plotH = height - top - bottom;
  const cells = FULFILMENT_BINS.map((b) => ({ key: b.key, cell: (s.timeToFulfilment.histogram.cells as Record<string, Cell>)[b.key] ?? 'x' }));
  const max = Math.max(1, ...cells.map((c) => (typeof c.cell === 'number' ? c.cell : 0)));
  const slot = plotW / cells.length;
  const barW = Math.max(4, slot * 0.7);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="t d">`);
  parts.push(`<title id="t">${xmlEscape(title)}</title>`);
  const subtitle = `${s.period.from} to ${s.period.to}; counts below ${s.suppressBelow} shown as <${s.suppressBelow}, x = withheld`;
  parts.push(`<desc id="d">${xmlEscape(subtitle)}</desc>`);
  parts.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  parts.push(`<text x="${left}" y="22" font-family="sans-serif" font-size="16" fill="#111111">${xmlEscape(title)}</text>`);
  parts.push(`<text x="${left}" y="38" font-family="sans-serif" font-size="11" fill="#555555">${xmlEscape(subtitle)}</text>`);
  parts.push(`<line x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}" stroke="#333333"/>`);
  cells.forEach((c, i) => {
    const x = left + i * slot + (slot - barW) / 2;
    const label = xmlEscape(c.key);
    if (typeof c.cell === 'number') {
      const h = (c.cell / max) * plotH;
      parts.push(`<rect x="${x.toFixed(1)}" y="${(top + plotH - h).toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="#3b6ea8"><title>${label}: ${c.cell}</title></rect>`);
      parts.push(`<text x="${(x + barW / 2).toFixed(1)}" y="${(top + plotH - h - 4).toFixed(1)}" text-anchor="middle" font-family="sans-serif" font-size="11" fill="#111111">${c.cell}</text>`);
    } else {
      const v = xmlEscape(String(c.cell));
      parts.push(`<rect x="${x.toFixed(1)}" y="${(top + plotH - 18).toFixed(1)}" width="${barW.toFixed(1)}" height="18" fill="none" stroke="#999999" stroke-dasharray="3 2"><title>${label}: ${v}</title></rect>`);
      parts.push(`<text x="${(x + barW / 2).toFixed(1)}" y="${(top + plotH - 5).toFixed(1)}" text-anchor="middle" font-family="sans-serif" font-size="11" fill="#555555">${v}</text>`);
    }
    parts.push(`<text x="${(x + barW / 2).toFixed(1)}" y="${top + plotH + 16}" text-anchor="middle" font-family="sans-serif" font-size="11" fill="#333333">${label}</text>`);
  });
  parts.push(`<text x="${left + plotW / 2}" y="${height - 12}" text-anchor="middle" font-family="sans-serif" font-size="11" fill="#333333">time from issue to fulfilment</text>`);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
