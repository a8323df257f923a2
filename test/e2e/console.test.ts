// The console at / in Debian's Chromium (playwright-core, the system browser) against the real system:
// connect with a key that never appears in a URL, see the site's link and the DNs, place a call from
// the console, answer and release it, and read it in the event log. Screenshots go to test/artifacts/.
import { mkdirSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientSession, type Stack, startStack } from "./harness.js";

const ARTIFACTS = "test/artifacts";
let stack: Stack;
let browser: Browser;
let page: Page;
const urls: string[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  stack = await startStack({ tenant: "console" });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  page.on("request", (r) => urls.push(r.url()));
  page.on("websocket", (ws) => urls.push(ws.url()));
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe("the console", { timeout: 120_000 }, () => {
  it("connects, shows the site's link and the DNs, and carries a call made from it", async () => {
    await page.goto(`${stack.api}/`);
    await page.getByLabel("Client key").fill(stack.keys.client);
    // every named site's link agents; DNs of the first site by number, of another as site:number
    await page.getByLabel("Sites", { exact: true }).fill("site-a site-b");
    await page.getByLabel("DNs to watch").fill("1001-1003 site-b:2003");
    await page.getByRole("button", { name: "Connect" }).click();
    await page.getByRole("status").filter({ hasText: "connected: session" }).waitFor();
    for (const site of ["site-a", "site-b"]) await page.locator("#sites .site").filter({ hasText: `${site} link up` }).waitFor();
    await page.getByText(/site-a-primary \(primary, active\): link-1 up/).waitFor();
    await page.getByText(/site-b-primary \(primary, active\): link-1 up/).waitFor();
    const row = (dn: string) => page.locator(`#dnRows tr[data-dn="${dn}"]`);
    await row("1003").getByText("in service").waitFor();
    await row("2003").getByText("in service").waitFor();
    expect(await page.locator("#dnRows tr").count()).toBe(4);
    expect(await row("2003").locator("td").first().textContent()).toBe("site-b");
    expect(await row("1003").locator("td").first().textContent()).toBe("site-a");
    // an action on site-b's DN goes to site-b
    await row("2003").click();
    await page.getByText("Actions on DN 2003 on site-b").waitFor();
    await page.getByRole("button", { name: "DND on" }).click();
    await page.locator("#answer.ok").filter({ hasText: "DND on: EventDNDOn" }).waitFor();
    await row("2003").locator("td").nth(3).filter({ hasText: /^on$/ }).waitFor();
    await page.getByRole("button", { name: "DND off" }).click();
    await row("2003").locator("td").nth(3).filter({ hasText: /^off$/ }).waitFor();
    await page.screenshot({ path: `${ARTIFACTS}/console-connected.png`, fullPage: true });

    // make a call 1001 -> 1002 from the keyboard: select the row, fill Other DN, press the button
    await row("1001").focus();
    await page.keyboard.press("Enter");
    await page.getByText("Actions on DN 1001 on site-a").waitFor();
    await page.getByLabel("Other DN").fill("1002");
    await page.getByRole("button", { name: "Make call" }).click();
    await page.locator("#answer").filter({ hasText: "Make call: EventDialing" }).waitFor();
    await row("1002").getByText(/[0-9a-f]{16}\s+1001\s+ringing/).waitFor();
    await row("1001").getByText(/[0-9a-f]{16}\s+1002\s+dialing/).waitFor();
    await page.screenshot({ path: `${ARTIFACTS}/console-ringing.png`, fullPage: true });

    await row("1002").click();
    await page.getByRole("button", { name: "Answer" }).click();
    await row("1001").getByText(/1002\s+established/).waitFor();
    await row("1002").getByText(/1001\s+established/).waitFor();
    const connID = (await row("1002").locator("td").last().textContent())!.slice(0, 16);
    expect(await row("1001").locator("td").last().textContent()).toContain(connID);
    await page.screenshot({ path: `${ARTIFACTS}/console-established.png`, fullPage: true });

    await page.getByRole("button", { name: "Release" }).click();
    await row("1001").locator("td").last().filter({ hasText: "none" }).waitFor();
    await row("1002").locator("td").last().filter({ hasText: "none" }).waitFor();

    // the log, readable and filterable
    await page.getByLabel("Filter events").fill(connID);
    const log = await page.locator("#log").innerText();
    const events = log.trim().split("\n").map((l) => l.split(" ")[3]);
    expect(events).toEqual(["EventDialing", "EventRinging", "EventEstablished", "EventEstablished", "EventReleased", "EventReleased"]);
    await page.screenshot({ path: `${ARTIFACTS}/console-log.png`, fullPage: true });

    // the key went in headers and a subprotocol, never in a URL
    expect(urls.length).toBeGreaterThan(5);
    for (const u of urls) expect(u).not.toContain(stack.keys.client.split(".")[2]!);
  });

  it("says why when a request is refused", async () => {
    await page.locator('#dnRows tr[data-dn="1003"]').click();
    await page.getByLabel("connID", { exact: true }).fill("");
    await page.getByRole("button", { name: "Hold" }).click();
    await page.locator("#answer.bad").filter({ hasText: /Hold: EventError - / }).waitFor();
  });

  it("shows an agent logged in from another desktop with its agent ID and work mode, from the query on connecting", async () => {
    const desk = await ClientSession.open(stack.client());
    await desk.request("site-a", { request: "RequestRegisterAddress", thisDN: "1004" });
    await desk.request("site-a", { request: "RequestAgentLogin", thisDN: "1004", agentID: "agent-1004", agentWorkMode: 1 });
    // a call that began before the console connected: its start is not known, only that it is at least that long
    expect((await desk.request("site-a", { request: "RequestMakeCall", thisDN: "1004", otherDN: "1003" })).event.event).toBe("EventDialing");
    await page.getByLabel("DNs to watch").fill("1004");
    await page.getByRole("button", { name: "Connect" }).click();
    await page.locator('#dnRows tr[data-dn="1004"] td').nth(2).filter({ hasText: /^\S.* \(agent-1004\), manual in$/ }).waitFor();
    await page.locator('#dnRows tr[data-dn="1004"] td').last().filter({ hasText: /^[0-9a-f]{16}\s+1003\s+\S+\s+\u2265\d+:\d\d$/ }).waitFor();
    await page.screenshot({ path: `${ARTIFACTS}/console-agent.png`, fullPage: true });
    await desk.request("site-a", { request: "RequestReleaseCall", thisDN: "1004" });
    await desk.request("site-a", { request: "RequestAgentLogout", thisDN: "1004" });
    await desk.close();
  });

  it("shows a remote terminal extended by another client, and out of service when its owner deactivates it", async () => {
    await page.getByLabel("DNs to watch").fill("1801");
    await page.getByRole("button", { name: "Connect" }).click();
    const row = page.locator('#dnRows tr[data-dn="1801"]');
    await row.waitFor();
    const owner = await ClientSession.open(stack.client());
    await owner.request("site-a", { request: "RequestRegisterAddress", thisDN: "1801", extensions: { REMOTE_DEST: "0611000001", REMOTE_NAME: "mobile-1801" } });
    await row.getByText("in service, extended to mobile-1801 (0611000001)").waitFor();
    await page.screenshot({ path: `${ARTIFACTS}/console-extended.png`, fullPage: true });
    await owner.request("site-a", { request: "RequestUnregisterAddress", thisDN: "1801" });
    await row.getByText("out of service").waitFor();
    await owner.close();
  });
});
