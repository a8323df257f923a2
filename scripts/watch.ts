// `npm run watch -- <site> <dn> [<dn> ...]`: a client session that registers DNs and prints every event.
import { demoClient, formatEvent, readDemo } from "./lib/demo.js";
import type { WebSocketLike } from "../shared/client.js";

const [site, ...dns] = process.argv.slice(2);
if (!site || dns.length === 0) {
  console.error("usage: npm run watch -- <site> <dn> [<dn> ...]   e.g. npm run watch -- site-a 1001 1002");
  process.exit(2);
}
const demo = readDemo();
const client = demoClient(demo);
const { sessionId } = await client.createSession();
let lastSeq = 0;
let ws: WebSocketLike;
let closing = false;
const connect = () => {
  ws = client.openEvents(sessionId, (e) => {
    if (e.seq) lastSeq = e.seq;
    console.log(formatEvent(e));
  }, lastSeq);
  ws.addEventListener("close", () => {
    if (!closing) setTimeout(connect, 1000); // reconnect and replay what was missed
  });
};
connect();
for (const dn of dns) {
  const answer = await client.request(site, { sessionId, request: "RequestRegisterAddress", thisDN: dn });
  if (answer.status !== 200) console.error(`register ${dn}: ${answer.event.errorMessage}`);
}
console.error(`session ${sessionId} watching ${site} ${dns.join(" ")} (Ctrl-C ends the session)`);
process.on("SIGINT", async () => {
  closing = true;
  await client.endSession(sessionId).catch(() => undefined);
  ws.close();
  process.exit(0);
});
