// `npm run demo:call [-- <site> <from> <to>]`: places a call and walks it through answer, hold,
// retrieve and release with T-Library requests, printing the session's event stream as it goes.
import { demoClient, formatEvent, readDemo } from "./lib/demo.js";
import type { TEvent } from "../shared/client-api.js";

const [site = "site-a", from = "1001", to = "1002"] = process.argv.slice(2);
const demo = readDemo();
const client = demoClient(demo);
const { sessionId } = await client.createSession();
const seen: TEvent[] = [];
const ws = client.openEvents(sessionId, (e) => {
  seen.push(e);
  console.log(formatEvent(e));
});
const waitFor = async (pred: (e: TEvent) => boolean, what: string) => {
  const end = Date.now() + 10_000;
  while (!seen.some(pred)) {
    if (Date.now() > end) throw new Error(`no ${what} within 10 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return seen.find(pred)!;
};
const step = async (request: Parameters<typeof client.request>[1]) => {
  const answer = await client.request(site, request);
  console.log(`   -> ${request.request} ${request.thisDN}: HTTP ${answer.status} ${answer.event.event}${answer.event.errorMessage ? `: ${answer.event.errorMessage}` : ""}`);
  if (answer.status !== 200) throw new Error(`${request.request} failed`);
  return answer.event;
};
const pause = () => new Promise((r) => setTimeout(r, 700));

try {
  await step({ sessionId, request: "RequestRegisterAddress", thisDN: from });
  await step({ sessionId, request: "RequestRegisterAddress", thisDN: to });
  const dialing = await step({ sessionId, request: "RequestMakeCall", thisDN: from, otherDN: to });
  const connID = dialing.connID!;
  await waitFor((e) => e.event === "EventRinging" && e.thisDN === to, `EventRinging on ${to}`);
  await pause();
  await step({ sessionId, request: "RequestAnswerCall", thisDN: to, connID });
  await waitFor((e) => e.event === "EventEstablished" && e.thisDN === from, `EventEstablished on ${from}`);
  await pause();
  await step({ sessionId, request: "RequestHoldCall", thisDN: from, connID });
  await pause();
  await step({ sessionId, request: "RequestRetrieveCall", thisDN: from, connID });
  await pause();
  await step({ sessionId, request: "RequestReleaseCall", thisDN: from, connID });
  await waitFor((e) => e.event === "EventReleased" && e.thisDN === to, `EventReleased on ${to}`);
} catch (err) {
  console.error(`demo call stopped: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await client.endSession(sessionId).catch(() => undefined);
  ws.close();
}
