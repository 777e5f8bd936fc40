/**
 * The pages' one stylesheet, served from the package at /assets/web.css: no CDN, no build step, and a
 * Content-Security-Policy that allows no inline style or script at all.
 */
export const WEB_CSS = `
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;background:#f4f6f9}
a{color:#1f5fbf}
.top{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;padding:.75rem 1rem;background:#1d2330;color:#fff}
.top a.brand{color:#fff;font-weight:700;text-decoration:none;margin-right:auto}
.top .who{font-size:.9rem;opacity:.85;overflow-wrap:anywhere}
.top button.link{color:#fff}
main{margin:1.5rem auto;padding:0 1rem}
main.narrow{max-width:30rem}
main.wide{max-width:72rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}
h2{font-size:1.15rem;margin:1.75rem 0 .5rem}
section.card{background:#fff;border:1px solid #dde2ea;border-radius:8px;padding:1rem;margin:0 0 1rem}
section.card>:first-child,section.card>form>:first-child{margin-top:0}
section.card>:last-child{margin-bottom:0}
label{display:block;margin:.75rem 0 .25rem;font-weight:600;font-size:.95rem}
label.check{display:flex;gap:.5rem;align-items:flex-start;font-weight:400}
label.check input{margin-top:.3rem}
input[type=text],input[type=email],input[type=password],input[type=number],input[type=search],input[type=date],input:not([type]),select,textarea{width:100%;padding:.55rem .6rem;font:inherit;border:1px solid #b8c0cc;border-radius:6px;background:#fff}
input.code{font-size:1.4rem;letter-spacing:.2em;font-family:ui-monospace,SFMono-Regular,Menlo,monospace}
button{font:inherit;padding:.55rem 1rem;border-radius:6px;border:1px solid #1f5fbf;background:#1f5fbf;color:#fff;cursor:pointer;margin-top:1rem}
button.secondary{background:#fff;color:#1f5fbf}
button.danger{background:#b3261e;border-color:#b3261e}
button.small{padding:.25rem .6rem;margin:0;font-size:.85rem}
button.link{background:none;border:none;padding:0;margin:0;text-decoration:underline;color:#1f5fbf}
a.button{display:inline-block;font:inherit;padding:.55rem 1rem;border-radius:6px;border:1px solid #1f5fbf;background:#1f5fbf;color:#fff;text-decoration:none;margin-top:1rem}
a.button.secondary{background:#fff;color:#1f5fbf}
a.button.danger{background:#b3261e;border-color:#b3261e;color:#fff}
a.button.small{padding:.25rem .6rem;margin:0;font-size:.85rem}
form.inline{display:inline}
.row{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:flex-end}
.row>*{flex:1 1 10rem}
.row>button{flex:0 0 auto}
.notice{padding:.75rem 1rem;border-radius:6px;border:1px solid}
.notice.error{background:#fdecea;border-color:#f3b3ae;color:#7a1a14}
.notice.ok{background:#e8f5ec;border-color:#a6d8b5;color:#14532d}
.notice.info{background:#eaf1fb;border-color:#b3cbef;color:#173e75}
.secret{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:1.05rem;background:#f0f2f5;padding:.5rem;border-radius:6px;overflow-wrap:anywhere;user-select:all}
.qr{display:block;width:220px;max-width:100%;height:auto;margin:.5rem auto;image-rendering:pixelated;border:1px solid #dde2ea}
.muted{color:#5b6472;font-size:.9rem}
.table{width:100%;overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #e3e7ee;vertical-align:top}
th{font-weight:600;background:#f7f8fa}
td.wrap{overflow-wrap:break-word;max-width:22rem}
td .sid{display:block;min-width:0}
.table.scroll table{min-width:42rem}
.item{border-top:1px solid #e3e7ee;padding:.75rem 0}
.item:first-of-type{border-top:none;padding-top:0}
.item h3{margin:0;font-size:1rem}
.item .actions{display:flex;gap:.5rem;align-items:center;flex-wrap:wrap;margin-top:.5rem}
.item .actions button{margin-top:0}
code,.sid{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85rem;overflow-wrap:anywhere}
ul.tree{list-style:none;padding-left:1rem;margin:.25rem 0}
ul.tree>li{margin:.2rem 0}
nav.tabs{display:flex;flex-wrap:wrap;gap:.25rem .75rem;margin:0 0 1rem;font-size:.95rem}
nav.tabs a{padding:.2rem 0}
nav.tabs a.on{font-weight:700;text-decoration:none;color:#1d2330}
svg.chart{width:100%;height:auto;background:#fff;border:1px solid #dde2ea;border-radius:6px}
svg.chart text{font:15px system-ui,sans-serif;fill:#5b6472}
main.wide svg.chart{max-width:56rem}
@media (max-width:600px){svg.chart text{font-size:26px}}
.legend{display:flex;flex-wrap:wrap;gap:.25rem 1rem;font-size:.85rem}
.sw{display:inline-block;width:.8rem;height:.8rem;border-radius:2px;margin-right:.3rem;vertical-align:-1px}
.rate{background:#b3261e;height:.2rem;vertical-align:middle}
.c0{background:#1f5fbf}.c1{background:#e07b00}.c2{background:#2e8b57}.c3{background:#8a3ffc}
.badge{display:inline-block;padding:0 .4rem;border-radius:4px;font-size:.8rem;background:#eef1f5}
.badge.bad{background:#fdecea;color:#7a1a14}
.badge.good{background:#e8f5ec;color:#14532d}
.field-error{color:#7a1a14;font-size:.9rem;margin:.25rem 0 0}
.help{margin:.25rem 0 0}
fieldset.buckets{border:1px solid #dde2ea;border-radius:6px;margin:1rem 0 0;padding:.25rem .75rem .75rem;min-width:0}
fieldset.buckets legend{font-weight:600;padding:0 .25rem}
.row.bucket{align-items:flex-start}
.row.bucket>*{flex:1 1 7rem}
.confirm .actions{display:flex;gap:.75rem;align-items:center;flex-wrap:wrap}
.confirm .actions button,.confirm .actions a.button{margin-top:0}
.actions{display:flex;gap:.5rem;align-items:center;flex-wrap:wrap}
.actions form{margin:0}
dl.facts{display:grid;grid-template-columns:minmax(7rem,max-content) 1fr;gap:.25rem 1rem;margin:0}
dl.facts dt{font-weight:600}
dl.facts dd{margin:0;overflow-wrap:anywhere}
`;
