/**
 * Usage over time as plain SVG, drawn on the server: one stacked bar per day (sends by channel) and a
 * line for the share of sends verified. No charting library, no script; colours come from classes
 * in the stylesheet's palette order.
 */
import { type Html, html } from './html.js';

export interface UsageRow {
  day: string;
  channel: string;
  status: string;
  count: number;
}

const COLOURS = ['#1f5fbf', '#e07b00', '#2e8b57', '#8a3ffc'];
const W = 720;
const H = 260;
const PAD = { left: 48, right: 80, top: 22, bottom: 36 };

export function usageChart(rows: UsageRow[], days: string[]): { svg: Html; channels: string[]; totals: { sends: number; verified: number } } {
  const channels = [...new Set(rows.map((r) => r.channel))].sort();
  const byDay = new Map(days.map((d) => [d, { sends: new Map<string, number>(), verified: 0, total: 0 }]));
  for (const r of rows) {
    const slot = byDay.get(r.day);
    if (!slot) continue;
    slot.sends.set(r.channel, (slot.sends.get(r.channel) ?? 0) + r.count);
    slot.total += r.count;
    if (r.status === 'verified') slot.verified += r.count;
  }
  const max = Math.max(1, ...[...byDay.values()].map((s) => s.total));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const step = plotW / Math.max(1, days.length);
  const barW = Math.max(2, step * 0.7);
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const bars: Html[] = [];
  const points: string[] = [];
  days.forEach((day, i) => {
    const slot = byDay.get(day)!;
    const x = PAD.left + i * step + (step - barW) / 2;
    let base = 0;
    channels.forEach((channel, c) => {
      const n = slot.sends.get(channel) ?? 0;
      if (!n) return;
      bars.push(html`<rect x="${x.toFixed(1)}" y="${y(base + n).toFixed(1)}" width="${barW.toFixed(1)}" height="${(y(base) - y(base + n)).toFixed(1)}" fill="${COLOURS[c % COLOURS.length]}"><title>${day} ${channel}: ${n}</title></rect>`);
      base += n;
    });
    if (slot.total) points.push(`${(x + barW / 2).toFixed(1)},${(PAD.top + plotH - (slot.verified / slot.total) * plotH).toFixed(1)}`);
  });
  const labelEvery = Math.ceil(days.length / 6);
  const labels = days.map((d, i) => (i % labelEvery === 0 ? html`<text x="${(PAD.left + i * step + step / 2).toFixed(1)}" y="${H - 8}" text-anchor="middle">${d.slice(5)}</text>` : ''));
  const totals = [...byDay.values()].reduce((t, s) => ({ sends: t.sends + s.total, verified: t.verified + s.verified }), { sends: 0, verified: 0 });
  const svg = html`<svg class="chart" id="usage-chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="Sends per day by channel, and the share verified">
<line x1="${PAD.left}" y1="${PAD.top + plotH}" x2="${W - PAD.right}" y2="${PAD.top + plotH}" stroke="#b8c0cc"/>
<text x="${PAD.left - 6}" y="${PAD.top + 6}" text-anchor="end">${max}</text><text x="${PAD.left - 6}" y="${PAD.top + plotH}" text-anchor="end">0</text>
<text x="${W - PAD.right + 6}" y="${PAD.top + 6}">100%</text><text x="${W - PAD.right + 6}" y="${PAD.top + plotH}">0%</text>
${bars}${points.length > 1 ? html`<polyline points="${points.join(' ')}" fill="none" stroke="#b3261e" stroke-width="2"/>` : ''}
${points.map((p) => { const [cx, cy] = p.split(','); return html`<circle cx="${cx}" cy="${cy}" r="3" fill="#b3261e"/>`; })}
${labels}</svg>`;
  return { svg, channels, totals };
}
