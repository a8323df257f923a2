// A small console for people: open a session, register DNs, send requests, watch the event stream.
export const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>CUCM T-Server console</title>
<style>
body{font:14px system-ui,sans-serif;margin:1.5rem;max-width:70rem}
input,select,button{font:inherit;margin:.15rem}
#events{font:12px ui-monospace,monospace;white-space:pre;border:1px solid #ccc;height:28rem;overflow:auto;padding:.5rem;background:#fafafa}
label{display:inline-block;min-width:6rem}
</style></head><body>
<h1>CUCM T-Server console</h1>
<p><label>client key</label><input id="key" size="60" placeholder="demo.xxxx.yyyy (see .local/demo.json)">
<label>site</label><input id="site" value="site-a" size="8">
<button id="open">open session</button> <span id="status">no session</span></p>
<p><label>request</label><select id="request">
<option>RequestRegisterAddress</option><option>RequestUnregisterAddress</option><option>RequestQueryAddress</option>
<option>RequestMakeCall</option><option>RequestAnswerCall</option><option>RequestReleaseCall</option>
<option>RequestHoldCall</option><option>RequestRetrieveCall</option></select>
thisDN <input id="thisDN" size="6" value="1001"> otherDN <input id="otherDN" size="6"> connID <input id="connID" size="16">
<button id="send">send</button></p>
<div id="events"></div>
<script>
const $ = (id) => document.getElementById(id);
let session = null, lastSeq = 0, ws = null;
const show = (o) => { const e = $("events"); e.textContent += JSON.stringify(o) + "\\n"; e.scrollTop = e.scrollHeight; };
async function api(method, path, body) {
  const res = await fetch(path, { method, headers: { authorization: "Bearer " + $("key").value, "content-type": "application/json" }, body: body && JSON.stringify(body) });
  return res.json().catch(() => ({}));
}
function connect() {
  const url = new URL(session.events, location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("access_token", $("key").value);
  url.searchParams.set("after", String(lastSeq));
  ws = new WebSocket(url);
  const keepalive = setInterval(() => ws.readyState === 1 && ws.send("ping"), 30000);
  ws.onmessage = (m) => { if (m.data === "pong") return; const d = JSON.parse(m.data); for (const e of Array.isArray(d) ? d : [d]) { if (e.seq) lastSeq = e.seq; show(e); } };
  ws.onclose = () => { clearInterval(keepalive); $("status").textContent = "reconnecting..."; setTimeout(connect, 1000); };
  ws.onopen = () => { $("status").textContent = "session " + session.sessionId; };
}
$("open").onclick = async () => { session = await api("POST", "/v1/sessions", {}); if (!session.sessionId) return show(session); connect(); };
$("send").onclick = async () => {
  if (!session) return show({ error: "open a session first" });
  const body = { sessionId: session.sessionId, request: $("request").value, thisDN: $("thisDN").value };
  if ($("otherDN").value) body.otherDN = $("otherDN").value;
  if ($("connID").value) body.connID = $("connID").value;
  show({ answer: await api("POST", "/v1/sites/" + $("site").value + "/requests", body) });
};
</script></body></html>`;
