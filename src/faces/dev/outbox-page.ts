/**
 * A page over GET /dev/outbox. It renders with textContent only, so a message body can never become
 * markup; the admin key it asks for is kept in the x-api-key cookie the API already accepts.
 */
export const OUTBOX_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Gatehouse outbox</title>
<style>
body{font:14px system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}
td.body{white-space:pre-wrap;font-family:ui-monospace,monospace}form{margin:1rem 0}.muted{color:#777}
</style></head>
<body>
<h1>Development outbox</h1>
<p class="muted">Every message Gatehouse sent through the outbox channel, newest first.</p>
<form id="filter"><label>To <input name="to" placeholder="+14155550100 or a@b.c"></label> <button>Filter</button></form>
<form id="login" hidden><label>Admin API key <input name="key" type="password" autocomplete="off" size="50"></label> <button>Use</button></form>
<p id="status" class="muted"></p>
<table><thead><tr><th>Time</th><th>Channel</th><th>To</th><th>From</th><th>Subject</th><th>Body</th></tr></thead><tbody id="rows"></tbody></table>
<script>
const rows = document.getElementById('rows'), status = document.getElementById('status');
const login = document.getElementById('login'), filter = document.getElementById('filter');
async function load() {
  const to = new FormData(filter).get('to');
  const res = await fetch('/dev/outbox' + (to ? '?to=' + encodeURIComponent(to) : ''), { credentials: 'same-origin' });
  if (res.status === 401 || res.status === 403) { login.hidden = false; status.textContent = 'An admin API key is needed.'; return; }
  const data = await res.json();
  if (!res.ok) { status.textContent = data.error ? data.error.message : 'error ' + res.status; return; }
  login.hidden = true; rows.replaceChildren();
  for (const m of data.messages) {
    const tr = document.createElement('tr');
    for (const [value, cls] of [[m.time],[m.channel],[m.to],[m.from],[m.subject],[m.body,'body']]) {
      const td = document.createElement('td'); td.textContent = value ?? ''; if (cls) td.className = cls; tr.append(td);
    }
    rows.append(tr);
  }
  status.textContent = data.messages.length + ' message(s)';
}
login.addEventListener('submit', (e) => { e.preventDefault();
  document.cookie = 'x-api-key=' + encodeURIComponent(new FormData(login).get('key')) + '; path=/dev; SameSite=Strict';
  load(); });
filter.addEventListener('submit', (e) => { e.preventDefault(); load(); });
load();
</script>
</body></html>`;
