// A browser test that starts signed in, as Playwright's authentication
// guide and Cypress's cy.session do: the control API's POST
// /_oauthtest/sessions logs alice in at the provider and answers its
// session cookie (and a Playwright storageState holding it); the browser
// gets the cookie before it opens the app, and the app's login is one
// redirect, with no page and no click at the provider. Then prompt=none in
// an iframe finds the same session.
//
//   OAUTHTEST_BIN=/path/to/oauthtest CHROMIUM=/usr/bin/chromium node storage-state-test.mjs
import puppeteer from "puppeteer-core";
import { check, results, serveApp, startProvider, status } from "./harness.mjs";

const bin = process.env.OAUTHTEST_BIN;
if (!bin) throw new Error("set OAUTHTEST_BIN to a built cmd/oauthtest");
const { server, origin } = await serveApp(Number(process.env.SPA_PORT || 0));
const { issuer, proc } = await startProvider([bin, "-control-api"], "127.0.0.1:0", origin);
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
try {
  const page = await browser.newPage();
  page.on("console", (m) => { if (m.type() === "error") console.log("  browser console:", m.text()); });
  const pagesShown = []; // what the provider answered with a page rather than a redirect
  page.on("response", (r) => { if (r.url().startsWith(issuer) && r.status() === 200 && r.request().resourceType() === "document") pagesShown.push(r.url()); });

  await check("start signed in with the control API's storage state (POST /_oauthtest/sessions)", async () => {
    const resp = await fetch(issuer + "/_oauthtest/sessions", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ subject: "alice" }),
    });
    const answer = await resp.json();
    if (resp.status !== 200) throw new Error(`HTTP ${resp.status}: ${JSON.stringify(answer)}`);
    const { cookies, origins } = answer.storage_state; // Playwright: browser.newContext({ storageState: answer.storage_state })
    if (cookies.length !== 1 || cookies[0].name !== "oauthtest_session" || origins.length !== 0) throw new Error(JSON.stringify(answer));
    await page.setCookie(...cookies);
    await page.goto(origin + "/?authority=" + encodeURIComponent(issuer));
    await status(page, { signedIn: false });
    await Promise.all([page.waitForNavigation(), page.click("#login")]);
    const s = await status(page, { signedIn: true });
    if (s.sub !== "alice" || s.name !== "Alice Admin") throw new Error("signed in as " + JSON.stringify(s));
    if (pagesShown.length) throw new Error("the provider showed a page: " + pagesShown.join(", "));
  });

  await check("renew silently in an iframe with the stored session (prompt=none)", async () => {
    await page.click("#renew-iframe");
    const s = await status(page, { renewedInIframe: true });
    if (s.sub !== "alice") throw new Error(JSON.stringify(s));
  });
} finally {
  await browser.close();
  server.close();
  proc.kill("SIGTERM");
}

const failed = results.filter((r) => !r.ok).length;
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
