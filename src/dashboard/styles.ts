/**
 * The dashboard's stylesheet, inlined in every page. Its SHA-256 goes into the CSP, so no
 * `'unsafe-inline'` is needed; the pages use no `style` attributes (bars and charts are SVG).
 */
import { createHash } from "node:crypto";

export const CSS = `
:root{--bg:#f6f7f9;--card:#fff;--ink:#1d2430;--muted:#667085;--line:#e4e7ec;--accent:#3b5bdb;
--ok:#2b8a3e;--bad:#c92a2a;--warn:#e67700;--info:#1971c2;--idle:#868e96;--wait:#7048e8;
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
*{box-sizing:border-box}body{margin:0}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
header.top{background:#1d2430;color:#fff;display:flex;align-items:center;gap:24px;padding:0 24px;height:52px}
header.top .brand{font-weight:700;font-size:16px;color:#fff;letter-spacing:.3px}
header.top nav{display:flex;gap:4px;flex:1}
header.top nav a{color:#c8ccd4;padding:6px 12px;border-radius:6px}
header.top nav a.on,header.top nav a:hover{background:#333d4d;color:#fff;text-decoration:none}
header.top .live{font-size:12px;color:#8f9bb3}
header.top .live.on::before{content:"";display:inline-block;width:8px;height:8px;border-radius:50%;background:#40c057;margin-right:6px}
header.top form{margin:0}
main{max-width:1280px;margin:0 auto;padding:20px 24px 48px}
h1{font-size:20px;margin:4px 0 16px}pre+h2,div+h2{margin-top:16px}h1 .mono{font-size:15px;font-weight:500}h2{font-size:15px;margin:0 0 10px;color:#344054}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px;margin-bottom:16px;overflow-x:auto}
.clip{max-width:360px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;margin-top:2px}svg.progress{vertical-align:middle}
.grid{display:grid;gap:16px}.g2{grid-template-columns:repeat(auto-fit,minmax(420px,1fr))}
.g4{grid-template-columns:repeat(auto-fit,minmax(130px,1fr));margin-bottom:16px}
.stat{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 14px;display:block;color:inherit}
.stat:hover{border-color:var(--accent);text-decoration:none}
.stat .n{font-size:24px;font-weight:650;font-variant-numeric:tabular-nums}.stat .l{color:var(--muted);font-size:12px}
table{border-collapse:collapse;width:100%}
th{font-size:12px;font-weight:600;color:var(--muted);text-align:left;text-transform:uppercase;letter-spacing:.4px}
th,td{padding:8px 10px;border-bottom:1px solid var(--line);vertical-align:top}
tbody tr:hover{background:#f9fafb}
@keyframes fresh{from{background:#fff3bf}to{background:transparent}}tr.fresh{animation:fresh 2.5s ease-out}td.num{text-align:right;font-variant-numeric:tabular-nums}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
pre{background:#f8f9fb;border:1px solid var(--line);border-radius:8px;padding:10px 12px;overflow:auto;max-height:420px;margin:0;white-space:pre-wrap;word-break:break-word}
pre.err{background:#fff5f5;border-color:#ffc9c9;color:#7d1d1d}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:600;border:1px solid transparent}
.s-completed{background:#ebfbee;color:var(--ok);border-color:#b2f2bb}.s-failed{background:#fff5f5;color:var(--bad);border-color:#ffc9c9}
.s-running{background:#e7f5ff;color:var(--info);border-color:#a5d8ff}.s-queued{background:#f1f3f5;color:#495057;border-color:#dee2e6}
.s-delayed{background:#fff9db;color:#946200;border-color:#ffe066}.s-waiting{background:#f3f0ff;color:var(--wait);border-color:#d0bfff}
.s-canceled{background:#f8f9fa;color:var(--idle);border-color:#dee2e6}.s-expired{background:#fff4e6;color:var(--warn);border-color:#ffd8a8}
.tag{display:inline-block;background:#edf2ff;color:#364fc7;border-radius:4px;padding:0 6px;font-size:12px;margin-right:4px}
.muted{color:var(--muted)}.small{font-size:12px}.right{text-align:right}
form.filters{display:flex;flex-wrap:wrap;gap:8px;align-items:end;margin-bottom:12px}
label{display:flex;flex-direction:column;gap:3px;font-size:12px;color:var(--muted)}
input,select,textarea{font:inherit;padding:6px 8px;border:1px solid #d0d5dd;border-radius:6px;background:#fff;color:var(--ink)}
textarea{font-family:ui-monospace,Menlo,monospace;font-size:12.5px;width:100%;min-height:110px}
button,.btn{font:inherit;font-weight:600;padding:6px 14px;border-radius:6px;border:1px solid #d0d5dd;background:#fff;color:var(--ink);cursor:pointer;display:inline-block}
button:hover,.btn:hover{background:#f2f4f7;text-decoration:none}
button.primary{background:var(--accent);border-color:var(--accent);color:#fff}button.primary:hover{background:#364fc7}
button.danger{color:var(--bad);border-color:#ffc9c9}button.danger:hover{background:#fff5f5}
.actions{display:flex;gap:8px;flex-wrap:wrap}.actions form{margin:0}
.flash{padding:10px 14px;border-radius:8px;margin-bottom:16px;border:1px solid}
.flash.ok{background:#ebfbee;border-color:#b2f2bb;color:#1e5f2b}.flash.bad{background:#fff5f5;border-color:#ffc9c9;color:#7d1d1d}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:6px 16px;margin:0}dl.kv dt{color:var(--muted)}dl.kv dd{margin:0;word-break:break-all}
.pager{display:flex;justify-content:space-between;align-items:center;margin-top:12px}
svg.chart text{font-size:10px;fill:#667085}svg.chart .grid{stroke:#eef0f3}
svg .ok{fill:#51cf66}svg .bad{fill:#ff6b6b}svg .line{stroke:#3b5bdb;fill:none;stroke-width:2}svg .dot{fill:#3b5bdb}
svg .bar-step{fill:#51cf66}svg .bar-task{fill:#38d9a9}svg .bar-child{fill:#4dabf7}svg .bar-sleep{fill:#ced4da}svg .bar-event{fill:#ffc078}svg .bar-token{fill:#f783ac}
svg .bar-failed{fill:#ff6b6b}svg .bar-waiting{fill:#b197fc}
.legend .k-step{background:#51cf66}.legend .k-task{background:#38d9a9}.legend .k-child{background:#4dabf7}.legend .k-sleep{background:#ced4da}.legend .k-event{background:#ffc078}.legend .k-token{background:#f783ac}.legend .k-waiting{background:#b197fc}
code.callback{display:block;word-break:break-all;margin:2px 0 6px}table.tokens form{margin-top:6px}
svg.progress .track{fill:#e9ecef}svg.progress .fill{fill:#3b5bdb}
.legend{display:flex;flex-wrap:wrap;gap:14px;font-size:12px;color:var(--muted);margin:4px 0 8px}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;vertical-align:-1px}
.legend .ok{background:#51cf66}.legend .bad{background:#ff6b6b}.legend .avg{background:#3b5bdb}
.log{display:grid;grid-template-columns:90px 52px 1fr;gap:2px 10px;font-size:12.5px}
.log .lv-error{color:var(--bad);font-weight:600}.log .lv-warn{color:var(--warn);font-weight:600}.log .lv-info{color:var(--info)}.log .lv-debug{color:var(--idle)}
.log .data{grid-column:3;color:var(--muted)}
.login{max-width:380px;margin:80px auto}.login form{display:flex;flex-direction:column;gap:12px}
.empty{padding:24px;text-align:center;color:var(--muted)}
`;

/** `'sha256-…'` source of {@link CSS} for the Content-Security-Policy. */
export const CSS_HASH = `'sha256-${createHash("sha256").update(CSS).digest("base64")}'`;
