// The operations and supervisor console at /: one self-contained page (no CDN), on a client session and
// its event stream. The key lives in the page's memory only: it goes in the Authorization header of API
// calls and, for the WebSocket (which cannot carry headers), as the subprotocol "bearer.<key>" — never in
// a URL. docs/console.md says what it shows and how it is tested (test/e2e/console.test.ts).
export const page = String.raw`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>CUCM T-Server console</title>
<style>
:root{--bg:#0f1419;--panel:#1a2129;--fg:#f0f3f6;--muted:#b6c2cf;--ok:#5fd38d;--bad:#ff8a80;--warn:#ffd166;--accent:#7cc4ff;--line:#3a4654}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.4 system-ui,sans-serif}
header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end;padding:.75rem 1rem;background:var(--panel);border-bottom:1px solid var(--line)}
h1{font-size:1.25rem;margin:0 1rem 0 0}h2{font-size:1.05rem;margin:.25rem 0 .5rem}
label{display:flex;flex-direction:column;font-size:.85rem;color:var(--muted)}
input,select,button{font:inherit;color:var(--fg);background:#0b0f13;border:1px solid var(--line);border-radius:4px;padding:.3rem .5rem}
button{background:#24405c;cursor:pointer}button:hover{background:#2f5678}
:focus-visible{outline:3px solid var(--warn);outline-offset:1px}
main{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:1rem;padding:1rem}
section{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:.75rem}
table{width:100%;border-collapse:collapse}th,td{text-align:left;padding:.3rem .4rem;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:600;font-size:.85rem}
tr[aria-selected=true]{background:#22364a}tbody tr{cursor:pointer}
.ok{color:var(--ok)}.bad{color:var(--bad)}.warn{color:var(--warn)}.muted{color:var(--muted)}
#log{font:13px/1.35 ui-monospace,monospace;height:24rem;overflow:auto;white-space:pre-wrap;word-break:break-word;margin:0}
#log .EventError{color:var(--bad)}#actions{display:flex;flex-wrap:wrap;gap:.4rem;align-items:end}
.sites{display:flex;flex-wrap:wrap;gap:.75rem}.site{border:1px solid var(--line);border-radius:4px;padding:.4rem .6rem}
#status{min-height:1.4em}
@media (min-width:2200px){body{font-size:22px}#log{font-size:18px;height:40rem}}
@media (max-width:900px){main{grid-template-columns:1fr}}
</style></head><body>
<header>
  <h1>CUCM T-Server console</h1>
  <form id="login" style="display:contents">
    <label>Client key<input id="key" type="password" autocomplete="off" required size="30"></label>
    <label>Config key (optional, lists every DN)<input id="configKey" type="password" autocomplete="off" size="20"></label>
    <label>Sites<input id="site" value="site-a" size="14" required aria-describedby="sitesHelp"></label>
    <span id="sitesHelp" class="muted" hidden>one or more site names, e.g. site-a site-b: every one's link agents and DNs are shown</span>
    <label>DNs to watch<input id="dns" value="1001-1004" size="16" aria-describedby="dnsHelp"></label>
    <span id="dnsHelp" class="muted" hidden>numbers and ranges of the first site, e.g. 1001-1004 1901; site:number or site:range for another, e.g. site-b:2001-2004</span>
    <button id="connect" type="submit">Connect</button>
  </form>
  <p id="status" role="status" aria-live="polite"></p>
</header>
<main>
  <div>
    <section aria-labelledby="sitesH"><h2 id="sitesH">Sites and links</h2><div id="sites" class="sites"></div></section>
    <section aria-labelledby="dnsH" style="margin-top:1rem"><h2 id="dnsH">DNs</h2>
      <label style="flex-direction:row;gap:.5rem;align-items:center">Filter DNs <input id="dnFilter" placeholder="number, state, agent"></label>
      <table aria-describedby="dnsH"><thead><tr><th scope="col">DN</th><th scope="col">Site</th><th scope="col">Service</th><th scope="col">Agent</th><th scope="col">DND</th><th scope="col">Calls (connID, other party, state, duration)</th></tr></thead>
      <tbody id="dnRows"></tbody></table>
    </section>
    <section aria-labelledby="actH" style="margin-top:1rem"><h2 id="actH">Actions on <span id="selected">no DN selected</span></h2>
      <div id="actions">
        <label>Other DN<input id="otherDN" size="8"></label>
        <label>connID<input id="connID" size="18"></label>
        <label>Consult connID<input id="transferConnID" size="18"></label>
        <label>Agent ID<input id="agentID" size="8"></label>
        <button data-req="RequestRegisterAddress">Register</button>
        <button data-req="RequestMakeCall">Make call</button>
        <button data-req="RequestAnswerCall">Answer</button>
        <button data-req="RequestReleaseCall">Release</button>
        <button data-req="RequestHoldCall">Hold</button>
        <button data-req="RequestRetrieveCall">Retrieve</button>
        <button data-req="RequestInitiateTransfer">Start transfer</button>
        <button data-req="RequestCompleteTransfer">Complete transfer</button>
        <button data-req="RequestSingleStepTransfer">Single-step transfer</button>
        <button data-req="RequestInitiateConference">Start conference</button>
        <button data-req="RequestCompleteConference">Complete conference</button>
        <button data-req="RequestAgentLogin">Login</button>
        <button data-req="RequestAgentReady">Ready</button>
        <button data-req="RequestAgentNotReady">Not ready</button>
        <button data-req="RequestAgentLogout">Logout</button>
        <button data-req="RequestSetDNDOn">DND on</button>
        <button data-req="RequestSetDNDOff">DND off</button>
        <button data-req="RequestMonitorNextCall">Monitor next call</button>
      </div>
      <p id="answer" role="status" aria-live="polite"></p>
    </section>
  </div>
  <section aria-labelledby="logH"><h2 id="logH">Event log</h2>
    <label style="flex-direction:row;gap:.5rem;align-items:center">Filter events <input id="logFilter" placeholder="DN, event or connID"></label>
    <pre id="log" tabindex="0" aria-label="event log"></pre>
  </section>
</main>
<script>
"use strict";
var $ = function (id) { return document.getElementById(id); };
var S = { key: "", site: "", sites: [], session: null, lastSeq: 0, ws: null, dns: {}, selected: null, events: [], closing: false };
var AGENT = { EventAgentLogin: "logged in", EventAgentReady: "ready", EventAgentNotReady: "not ready", EventAgentLogout: "logged out" };
var CALL = { EventDialing: "dialing", EventRinging: "ringing", EventEstablished: "established", EventHeld: "held", EventRetrieved: "established", EventPartyChanged: "established", EventPartyAdded: "conference" };
var STATUS = { 0: "idle", 2: "dialing", 3: "talking", 4: "ringing", 5: "held", 8: "out of service" };
// T-Library's AgentWorkMode (tlib.ts)
var WORKMODE = { 1: "manual in", 2: "auto in", 3: "after call work", 4: "aux work", 5: "no call disconnect", 6: "walk away", 7: "return back" };

function api(method, path, body, key) {
  return fetch(path, { method: method, headers: { authorization: "Bearer " + (key || S.key), "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) })
    .then(function (r) { return r.json().catch(function () { return {}; }).then(function (b) { return { status: r.status, body: b }; }); });
}
function say(text, bad) { $("status").textContent = text; $("status").className = bad ? "bad" : ""; }
// "1001-1004 site-b:2003" -> [{site: first site, number: "1001"}, ..., {site: "site-b", number: "2003"}]
function expand(text) {
  var out = [];
  text.split(/[\s,]+/).filter(Boolean).forEach(function (p) {
    var at = p.lastIndexOf(":"), site = at > 0 ? p.slice(0, at) : S.site, item = at > 0 ? p.slice(at + 1) : p;
    var m = /^(\d+)-(\d+)$/.exec(item);
    if (m && Number(m[2]) - Number(m[1]) < 500) for (var n = Number(m[1]); n <= Number(m[2]); n++) out.push({ site: site, number: String(n) }); else out.push({ site: site, number: item });
  });
  return out;
}
// a DN is named by its site and number: two clusters may both have a 1001
function key(site, number) { return site + "/" + number; }
function dn(site, number) { var k = key(site, number); return S.dns[k] || (S.dns[k] = { site: site, number: number, inService: null, agent: "", workMode: null, dnd: false, calls: {} }); }
function apply(e) {
  if (!e.thisDN || !S.dns[key(e.site || S.site, e.thisDN)]) return;
  var d = dn(e.site || S.site, e.thisDN);
  if (e.event === "EventDNOutOfService") { d.inService = false; d.remote = null; }
  // extend and connect: EventDNBackInService of a remote terminal names the destination its owner set (seed)
  if (e.event === "EventDNBackInService" && e.extensions && e.extensions.REMOTE_DEST) d.remote = { dest: String(e.extensions.REMOTE_DEST), name: String(e.extensions.REMOTE_NAME || e.extensions.REMOTE_DEST) };
  if (e.event === "EventDNBackInService" || e.event === "EventRegistered") d.inService = e.event === "EventRegistered" ? d.inService !== false : true;
  if (AGENT[e.event]) { d.agent = AGENT[e.event]; if (e.agentWorkMode !== undefined) d.workMode = e.agentWorkMode; if (e.agentID) d.agentID = e.agentID; }
  if (e.event === "EventDNDOn") d.dnd = true;
  if (e.event === "EventDNDOff") d.dnd = false;
  if (e.event === "EventAddressInfo") {
    if (e.inService !== undefined) d.inService = !!e.inService;
    if (e.agentState) d.agent = String(e.agentState).replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
    if (e.agentState) d.agentID = e.agentID || null;
    if (e.agentWorkMode !== undefined) d.workMode = e.agentWorkMode;
    if (e.dnd !== undefined) d.dnd = !!e.dnd;
    (Array.isArray(e.calls) ? e.calls : []).forEach(function (c) { if (c.connID) d.calls[c.connID] = d.calls[c.connID] || { connID: c.connID, other: c.otherDN || "", state: c.state || STATUS[c.callState] || "in a call", since: Date.now(), atLeast: true }; });
  }
  if (e.connID && CALL[e.event]) {
    var c = d.calls[e.connID] || (d.calls[e.connID] = { connID: e.connID, since: Date.parse(e.time) || Date.now() });
    c.state = CALL[e.event]; if (e.otherDN) c.other = e.otherDN;
  }
  if (e.event === "EventReleased" && e.connID) delete d.calls[e.connID];
  if (e.event === "EventPartyChanged" && e.previousConnID) delete d.calls[e.previousConnID];
}
function duration(ms) { var s = Math.max(0, Math.floor(ms / 1000)); return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0"); }
function text(el, t, cls) { var x = document.createElement(el); x.textContent = t; if (cls) x.className = cls; return x; }
function renderDns() {
  var f = $("dnFilter").value.toLowerCase(), body = $("dnRows");
  var focused = document.activeElement && document.activeElement.dataset && document.activeElement.dataset.dn ? key(document.activeElement.dataset.site, document.activeElement.dataset.dn) : null;
  body.replaceChildren();
  Object.keys(S.dns).sort().forEach(function (n) {
    var d = S.dns[n];
    var calls = Object.values(d.calls);
    var row = document.createElement("tr");
    var service = d.inService === false ? text("td", "out of service", "bad") : d.inService ? text("td", "in service" + (d.remote ? ", extended to " + d.remote.name + " (" + d.remote.dest + ")" : ""), "ok") : text("td", "unknown", "muted");
    var agent = (d.agent || "-") + (d.agentID ? " (" + d.agentID + ")" : "") + (WORKMODE[d.workMode] && d.agent !== "logged out" ? ", " + WORKMODE[d.workMode] : "");
    row.append(text("th", d.number), text("td", d.site), service, text("td", agent), text("td", d.dnd ? "on" : "off", d.dnd ? "warn" : ""),
      text("td", calls.length ? calls.map(function (c) { return c.connID + "  " + (c.other || "?") + "  " + c.state + "  " + (c.atLeast ? "\u2265" : "") + duration(Date.now() - c.since); }).join("\n") : "none"));
    row.firstChild.setAttribute("scope", "row");
    row.tabIndex = 0;
    row.setAttribute("aria-selected", String(S.selected === n));
    row.dataset.dn = d.number; row.dataset.site = d.site;
    if (f && row.textContent.toLowerCase().indexOf(f) < 0) return;
    row.onclick = function () { select(n); };
    row.onkeydown = function (ev) { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); select(n); } };
    body.append(row);
    if (focused === n) row.focus();
  });
}
function select(n) {
  var d = S.dns[n];
  S.selected = n; $("selected").textContent = "DN " + d.number + " on " + d.site;
  var first = Object.values(d.calls)[0];
  $("connID").value = first ? first.connID : "";
  renderDns();
  var row = document.querySelector('#dnRows tr[data-dn="' + d.number + '"][data-site="' + d.site + '"]'); if (row) row.focus();
}
function line(e) {
  var rest = Object.keys(e).filter(function (k) { return ["event", "seq", "time", "site"].indexOf(k) < 0; })
    .map(function (k) { var v = e[k]; return k + "=" + (typeof v === "object" ? JSON.stringify(v) : v); }).join(" ");
  return "#" + (e.seq || "-") + " " + (e.time ? e.time.slice(11, 23) : "") + " " + (e.site || "") + " " + e.event + " " + rest;
}
function renderLog() {
  var f = $("logFilter").value.toLowerCase(), log = $("log"), atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
  log.replaceChildren();
  S.events.slice(-500).forEach(function (e) { var l = line(e); if (!f || l.toLowerCase().indexOf(f) >= 0) { var s = text("div", l, e.event); log.append(s); } });
  if (atEnd) log.scrollTop = log.scrollHeight;
}
function onEvent(e) {
  if (e.seq) S.lastSeq = e.seq;
  S.events.push(e); if (S.events.length > 2000) S.events.shift();
  apply(e);
}
function connectStream() {
  var url = new URL(S.session.events, location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("after", String(S.lastSeq));
  // the key as a subprotocol: never in the URL
  var ws = new WebSocket(url, ["tserver", "bearer." + S.key]);
  S.ws = ws;
  // the server takes a socket silent for 90 s for dead (docs/client-api.md): ping every 30 s
  var keepalive = setInterval(function () { if (ws.readyState === 1) ws.send("ping"); }, 30000);
  ws.onopen = function () { say("connected: session " + S.session.sessionId + " on " + S.sites.join(", ")); };
  ws.onmessage = function (m) { if (m.data === "pong") return; var d = JSON.parse(m.data); (Array.isArray(d) ? d : [d]).forEach(onEvent); renderDns(); renderLog(); };
  ws.onclose = function (ev) { clearInterval(keepalive); if (ws.retired || S.closing || ev.code === 4001) return say("session ended", true); say("stream lost; reconnecting...", true); setTimeout(connectStream, 1000); };
}
function refreshSites() {
  if (!S.sites.length) return;
  Promise.all(S.sites.map(function (site) { return api("GET", "/v1/sites/" + encodeURIComponent(site)); })).then(function (answers) {
    var box = $("sites"); box.replaceChildren();
    answers.forEach(function (r, i) {
      var site = S.sites[i];
      var s = document.createElement("div"); s.className = "site";
      if (r.status !== 200) { s.append(text("strong", site + ": " + (r.body.error || r.status), "bad")); box.append(s); return; }
      s.append(text("strong", site + " "), text("span", r.body.linkUp ? "link up" : "link down", r.body.linkUp ? "ok" : "bad"));
      var ul = document.createElement("ul");
      (r.body.agents || []).forEach(function (a) {
        ul.append(text("li", a.agentId + " (" + a.role + (a.active ? ", active" : ", standby") + "): " +
          Object.keys(a.links).map(function (l) { return l + " " + (a.links[l] ? "up" : "down"); }).join(", ")));
      });
      if (!(r.body.agents || []).length) ul.append(text("li", "no link agent connected", "bad"));
      s.append(ul); box.append(s);
    });
  });
}
function request(site, name, extra) {
  var body = Object.assign({ sessionId: S.session.sessionId, request: name }, extra);
  return api("POST", "/v1/sites/" + encodeURIComponent(site) + "/requests", body);
}
$("login").onsubmit = function (ev) {
  ev.preventDefault();
  S.key = $("key").value.trim(); S.sites = $("site").value.split(/[\s,]+/).filter(Boolean); S.site = S.sites[0] || "";
  say("connecting...");
  // connecting again replaces the session: the old stream stops and the old session ends at once
  if (S.ws) { S.ws.retired = true; S.ws.close(1000); }
  if (S.session) api("DELETE", "/v1/sessions/" + encodeURIComponent(S.session.sessionId));
  var configKey = $("configKey").value.trim();
  var listing = configKey
    ? Promise.all(S.sites.map(function (site) {
        return api("GET", "/v1/sites/" + encodeURIComponent(site) + "/dns", undefined, configKey).then(function (r) { return r.status === 200 ? r.body.dns.map(function (d) { return { site: site, number: d.number }; }) : []; });
      })).then(function (lists) { var all = [].concat.apply([], lists); return all.length ? all : expand($("dns").value); })
    : Promise.resolve(expand($("dns").value));
  listing.then(function (numbers) {
    return api("POST", "/v1/sessions", {}).then(function (r) {
      if (r.status !== 201) throw new Error(r.body.error || ("HTTP " + r.status));
      S.session = r.body; S.dns = {}; S.events = []; S.lastSeq = 0; S.selected = null; $("selected").textContent = "no DN selected"; $("answer").textContent = "";
      numbers.forEach(function (n) { dn(n.site, n.number); });
      connectStream(); renderDns();
      return Promise.all(numbers.map(function (n) {
        return request(n.site, "RequestRegisterAddress", { thisDN: n.number }).then(function () { return request(n.site, "RequestQueryAddress", { thisDN: n.number }); });
      }));
    });
  }).then(function () { refreshSites(); renderDns(); }).catch(function (err) { say("could not connect: " + err.message, true); });
};
document.querySelectorAll("#actions button").forEach(function (b) {
  b.onclick = function () {
    if (!S.session) return say("connect first", true);
    if (!S.selected) return say("select a DN first", true);
    var target = S.dns[S.selected], extra = { thisDN: target.number };
    ["otherDN", "connID", "transferConnID", "agentID"].forEach(function (f) { if ($(f).value.trim()) extra[f] = $(f).value.trim(); });
    if (["RequestMakeCall", "RequestRegisterAddress", "RequestAgentLogin", "RequestAgentReady", "RequestAgentNotReady", "RequestAgentLogout", "RequestSetDNDOn", "RequestSetDNDOff", "RequestMonitorNextCall"].indexOf(b.dataset.req) >= 0) delete extra.connID;
    if (["RequestInitiateTransfer", "RequestInitiateConference", "RequestMakeCall", "RequestSingleStepTransfer", "RequestMonitorNextCall"].indexOf(b.dataset.req) < 0) delete extra.otherDN;
    if (["RequestCompleteTransfer", "RequestCompleteConference"].indexOf(b.dataset.req) < 0) delete extra.transferConnID;
    if (b.dataset.req.indexOf("RequestAgent") !== 0) delete extra.agentID;
    request(target.site, b.dataset.req, extra).then(function (r) {
      var e = r.body.event || {};
      $("answer").textContent = b.textContent + ": " + (e.event || "") + (e.errorMessage ? " - " + e.errorMessage : "") + (r.body.error && !e.event ? r.body.error : "");
      $("answer").className = r.status === 200 ? "ok" : "bad";
    });
  };
});
$("dnFilter").oninput = renderDns; $("logFilter").oninput = renderLog;
setInterval(function () { if (S.session) { renderDns(); refreshSites(); } }, 5000);
setInterval(function () { if (S.session && document.querySelector("#dnRows td")) renderDns(); }, 1000);
</script></body></html>`;
