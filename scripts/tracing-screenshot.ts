/**
 * Renders the trace of examples/tracing.ts as an HTML waterfall and screenshots it with headless
 * Chromium (the one the dashboard's browser tests use): docs/tracing-waterfall.png.
 *
 *   node --conditions=errand-source --import tsx scripts/tracing-screenshot.ts
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { tracedCheckout, waterfall, type WaterfallRow } from "../examples/tracing.ts";
import { CHROMIUM_ARGS, findChromium } from "../test/dashboard/chromium.ts";

const OUT = fileURLToPath(new URL("../docs/tracing-waterfall.png", import.meta.url));

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

function color(row: WaterfallRow): string {
  if (row.span.status.code === 2) return "#d9534f";
  if (row.span.name.startsWith("errand.trigger")) return "#8e6bd8";
  if (row.span.name.startsWith("errand.run")) return "#3b82c4";
  if (row.span.name.startsWith("errand.step")) return "#3aa57a";
  return "#9aa3ad";
}

function html(rows: readonly WaterfallRow[]): string {
  const total = Math.max(...rows.map((r) => r.endMs));
  const pct = (t: number) => `${((t / total) * 100).toFixed(3)}%`;
  const ms = (t: number) => `${t.toFixed(0)} ms`;
  const traceId = rows[0]!.span.spanContext().traceId;
  const body = rows
    .map((r) => {
      const attrs = ["errand.attempt", "errand.queue"].filter((k) => r.span.attributes[k] !== undefined).map((k) => `${k.slice(7)} ${String(r.span.attributes[k])}`);
      const events = r.span.events
        .map((e) => `<i class="ev" style="left:${pct(e.time[0] * 1000 + e.time[1] / 1e6 - (r.span.startTime[0] * 1000 + r.span.startTime[1] / 1e6) + r.startMs)}" title="${escape(e.name)}"></i>`)
        .join("");
      const names = [...new Set(r.span.events.map((e) => e.name))].join(", ");
      return `<tr>
  <td class="name" style="padding-left:${8 + r.depth * 18}px">${escape(r.span.name)}${attrs.length ? ` <span class="attr">${escape(attrs.join(" · "))}</span>` : ""}</td>
  <td class="lane"><div class="track"><b style="left:${pct(r.startMs)};width:max(2px,${pct(r.endMs - r.startMs)});background:${color(r)}"></b>${events}<span class="t" style="left:calc(${pct(r.endMs)} + 6px)">${ms(r.endMs - r.startMs)}${names ? ` · ${escape(names)}` : ""}</span></div></td>
</tr>`;
    })
    .join("\n");
  return `<!doctype html><meta charset="utf-8"><style>
body{font:13px system-ui,sans-serif;margin:20px;color:#1f2933;background:#fff;width:1260px}
h1{font-size:16px;margin:0 0 4px} p{margin:0 0 14px;color:#52606d}
table{border-collapse:collapse;width:100%} td{border-top:1px solid #e4e7eb;height:26px;padding:0}
.name{white-space:nowrap;width:1px;padding-right:16px;font-family:ui-monospace,monospace;font-size:12px}
.attr{color:#7b8794;font-family:system-ui;font-size:11px}
.track{position:relative;height:26px;margin-right:330px} .track b{position:absolute;top:7px;height:12px;border-radius:2px}
.ev{position:absolute;top:5px;width:7px;height:7px;margin-left:-3px;background:#f0b429;transform:rotate(45deg);border:1px solid #8d6b00}
.t{position:absolute;top:5px;font-size:11px;color:#52606d;white-space:nowrap}
.legend span{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 4px 0 12px;vertical-align:-1px}
</style>
<h1>Trace ${traceId} — ${ms(total)}</h1>
<p class="legend">One checkout: an HTTP handler's span, then errand's spans, from two engines on one SQLite file.
<span style="background:#8e6bd8"></span>errand.trigger <span style="background:#3b82c4"></span>errand.run
<span style="background:#3aa57a"></span>errand.step <span style="background:#f0b429"></span>span event</p>
<table>${body}</table>`;
}

const rows = waterfall(await tracedCheckout());
const { executablePath } = await findChromium();
const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage({ viewport: { width: 1300, height: 200 }, deviceScaleFactor: 1 });
  await page.setContent(html(rows));
  writeFileSync(OUT, await page.screenshot({ fullPage: true }));
  console.log(`wrote ${OUT} (${rows.length} spans)`);
} finally {
  await browser.close();
}
