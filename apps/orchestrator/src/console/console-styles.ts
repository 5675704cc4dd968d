// The console's stylesheet, served as /console/static/console.css (a module, so that the
// published package, which ships only compiled .js, carries it).
export const CONSOLE_CSS = `
:root { --fg:#1d2330; --muted:#667085; --line:#d0d5dd; --bg:#fff; --panel:#f7f8fa;
  --done:#1a7f37; --running:#0969da; --waiting:#8250df; --failed:#cf222e; --compensated:#9a6700;
  --skipped:#6e7781; --pending:#8c959f; font-family: system-ui, sans-serif; color: var(--fg); }
body { margin:0; background:var(--bg); font-size:15px; line-height:1.45; }
header.top { display:flex; gap:1.5rem; align-items:center; padding:.6rem 1.2rem; background:#1d2330; color:#fff; }
header.top a { color:#fff; text-decoration:none; }
header.top a[aria-current=page] { text-decoration:underline; text-underline-offset:4px; }
header.top .brand { font-weight:700; }
header.top nav { display:flex; gap:1.2rem; }
header.top .who { margin-left:auto; display:flex; gap:.6rem; align-items:center; }
main { padding:1rem 1.2rem; max-width:1400px; }
a { color:#0550ae; } a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible { outline:3px solid #f6a700; outline-offset:2px; }
h1 { font-size:1.4rem; margin:.2rem 0 .8rem; } h2 { font-size:1.1rem; margin:1.2rem 0 .5rem; }
table { border-collapse:collapse; width:100%; } th, td { text-align:left; padding:.35rem .6rem; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-weight:600; background:var(--panel); }
.muted { color:var(--muted); } code { font-size:.9em; }
.badge { display:inline-block; padding:.05rem .5rem; border-radius:1rem; font-size:.85em; font-weight:600; border:1px solid currentColor; white-space:nowrap; }
.status-running { color:var(--running); } .status-compensating { color:var(--compensated); }
.status-completed { color:var(--done); } .status-compensated { color:var(--skipped); }
.status-failed { color:var(--failed); background:#ffebe9; } .status-paused { color:var(--waiting); }
.status-open { color:var(--failed); } .status-half-open { color:var(--compensated); } .status-closed { color:var(--done); }
.cards { display:flex; flex-wrap:wrap; gap:.8rem; } .card { border:1px solid var(--line); border-radius:6px; padding:.6rem .9rem; min-width:10rem; background:var(--panel); }
.card .count { font-size:1.6rem; font-weight:700; display:block; }
.columns { display:grid; grid-template-columns: minmax(0,1fr) minmax(0,1fr); gap:1.5rem; }
@media (max-width: 1000px) { .columns { grid-template-columns: 1fr; } }
.attention { border:2px solid var(--failed); border-radius:6px; padding:.6rem .9rem; background:#fff5f5; margin-bottom:1rem; }
.notice { border:2px solid var(--running); border-radius:6px; padding:.5rem .9rem; background:#f0f7ff; margin-bottom:1rem; }
.problem { border:2px solid var(--failed); border-radius:6px; padding:.5rem .9rem; background:#fff5f5; margin:.6rem 0; }
.graph { display:flex; flex-direction:column; gap:.5rem; }
.stage-parallel { border:1px dashed var(--line); border-radius:6px; padding:.4rem; }
.stage-parallel > .members { display:flex; gap:.5rem; flex-wrap:wrap; }
.arrow { color:var(--muted); padding-left:1rem; }
.step { border:2px solid var(--pending); border-left-width:8px; border-radius:6px; padding:.4rem .7rem; min-width:12rem; background:#fff; }
.step .name { font-weight:600; } .step .meta { font-size:.85em; color:var(--muted); }
.step-done { border-color:var(--done); } .step-running { border-color:var(--running); }
.step-waiting { border-color:var(--waiting); } .step-failed { border-color:var(--failed); background:#fff5f5; }
.step-compensated { border-color:var(--compensated); } .step-skipped { border-color:var(--skipped); border-style:dashed; }
.step .state { font-weight:600; } .step-failed .state { color:var(--failed); } .step-done .state { color:var(--done); }
.step-running .state { color:var(--running); } .step-waiting .state { color:var(--waiting); }
.step-compensated .state { color:var(--compensated); }
.tag { font-size:.75em; border:1px solid var(--line); border-radius:4px; padding:0 .3rem; margin-left:.3rem; color:var(--muted); }
ol.timeline { list-style:none; padding:0; margin:0; } ol.timeline li { padding:.3rem 0; border-bottom:1px solid var(--line); }
ol.timeline li.failure { background:#fff5f5; } ol.timeline .type { font-weight:600; }
pre.json { background:var(--panel); border:1px solid var(--line); padding:.5rem; overflow:auto; max-height:18rem; margin:.2rem 0; font-size:.85em; }
form.filters { display:flex; flex-wrap:wrap; gap:.8rem; align-items:flex-end; margin-bottom:.8rem; }
form.filters label, form.stacked label { display:flex; flex-direction:column; font-size:.85em; gap:.15rem; }
input, select, textarea, button { font:inherit; padding:.3rem .5rem; }
button, .button { border:1px solid var(--line); border-radius:6px; background:#fff; cursor:pointer; text-decoration:none; color:var(--fg); display:inline-block; }
button.primary { background:#1f6feb; color:#fff; border-color:#1f6feb; } button.danger, .button.danger { border-color:var(--failed); color:var(--failed); }
.actions { display:flex; gap:.6rem; flex-wrap:wrap; margin:.6rem 0; }
form.stacked { display:flex; flex-direction:column; gap:.6rem; max-width:32rem; }
dl.facts { display:grid; grid-template-columns:max-content 1fr; gap:.2rem 1rem; margin:0; } dl.facts dt { color:var(--muted); }
.pager { margin-top:.8rem; }
td .meta { display:block; font-size:.85em; color:var(--muted); }
`;
