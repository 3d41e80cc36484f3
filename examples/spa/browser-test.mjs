// The SPA example's test, in a real headless Chromium: the app on
// http://127.0.0.1:$SPA_PORT (default: any free port) logs in against
// cmd/oauthtest on another origin (any free port),
// reads userinfo, renews silently, logs out, and a user denies; the
// provider's login and error pages are exercised; last, the app logs in
// with DPoP, reads userinfo and renews with it. A screenshot of each page
// goes to $ARTIFACTS (default ./screenshots).
//
//   OAUTHTEST_BIN=/path/to/oauthtest CHROMIUM=/usr/bin/chromium node browser-test.mjs
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import puppeteer from "puppeteer-core";
import { check, results, serveApp, startProvider, status } from "./harness.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));
const artifacts = process.env.ARTIFACTS || join(here, "screenshots");
mkdirSync(artifacts, { recursive: true });

async function shot(page, name) {
  await page.screenshot({ path: join(artifacts, name + ".png"), fullPage: true });
}

const bin = process.env.OAUTHTEST_BIN;
if (!bin) throw new Error("set OAUTHTEST_BIN to a built cmd/oauthtest");
const { server, origin } = await serveApp(Number(process.env.SPA_PORT || 0));
const { issuer, proc } = await startProvider([bin], "127.0.0.1:0", origin);
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
try {
  const page = await browser.newPage();
  page.on("console", (m) => { if (m.type() === "error") console.log("  browser console:", m.text()); });
  const app = origin + "/?authority=" + encodeURIComponent(issuer);

  await check("log in on another origin, choosing a user on the login page", async () => {
    await page.goto(app);
    await status(page, { signedIn: false });
    await Promise.all([page.waitForNavigation(), page.click("#login")]);
    if (!page.url().startsWith(issuer + "/oauth/authorize")) throw new Error("not on the login page: " + page.url());
    const text = await page.$eval("body", (b) => b.innerText);
    if (!text.includes("Sign in to spa") || !text.includes("openid")) throw new Error("login page: " + text);
    await shot(page, "login-page");
    await Promise.all([page.waitForNavigation(), page.click('button[value="bob"]')]);
    const s = await status(page, { signedIn: true });
    if (s.sub !== "bob") throw new Error("signed in as " + s.sub);
    await shot(page, "spa-signed-in");
  });

  await check("read userinfo with fetch across origins (CORS)", async () => {
    await page.click("#userinfo");
    await page.waitForFunction(() => document.getElementById("details").textContent.includes("status"), { timeout: 15000 });
    const d = JSON.parse(await page.$eval("#details", (e) => e.textContent));
    if (d.status !== 200 || d.body.sub !== "bob" || d.body.email !== "bob@example.com") throw new Error(JSON.stringify(d));
  });

  await check("renew silently with the refresh token", async () => {
    const before = await status(page, { signedIn: true });
    await page.click("#renew");
    const after = await status(page, { renewed: true });
    if (after.sub !== "bob" || after.tokenEnd === before.tokenEnd) throw new Error(JSON.stringify({ before, after }));
  });

  await check("renew silently in an iframe (prompt=none, the session cookie)", async () => {
    const before = await status(page, { signedIn: true });
    await page.click("#renew-iframe");
    const after = await status(page, { renewedInIframe: true });
    if (after.sub !== "bob" || after.tokenEnd === before.tokenEnd) throw new Error(JSON.stringify({ before, after }));
  });

  await check("log out (RP-initiated), then silent renew needs a login", async () => {
    await Promise.all([page.waitForNavigation({ waitUntil: "networkidle0" }), page.click("#logout")]);
    if (!page.url().startsWith(origin + "/")) throw new Error("not back at the app: " + page.url());
    await status(page, { signedIn: false });
    await shot(page, "spa-signed-out");
    await page.click("#renew");
    const s = await status(page, { error: "login_required" });
    if (!s.description) throw new Error("no error_description");
  });

  await check("deny on the login page", async () => {
    await Promise.all([page.waitForNavigation(), page.click("#login")]);
    await Promise.all([page.waitForNavigation({ waitUntil: "networkidle0" }), page.click('button[name="oauthtest_deny"]')]);
    const s = await status(page, { error: "access_denied" });
    if (!s.description) throw new Error("no error_description");
    await shot(page, "spa-denied");
  });

  await check("the error page for an unknown redirect URI", async () => {
    const resp = await page.goto(issuer + "/oauth/authorize?client_id=spa&response_type=code&scope=openid&redirect_uri=" +
      encodeURIComponent("https://evil.example/callback"));
    const text = await page.$eval("body", (b) => b.innerText);
    if (resp.status() !== 400 || !text.includes("is not registered") || !text.includes(origin + "/callback.html")) {
      throw new Error(`HTTP ${resp.status()}: ${text}`);
    }
    await shot(page, "error-page");
  });

  await check("the pages lay out on a phone", async () => {
    await page.setViewport({ width: 375, height: 700 });
    await page.goto(app);
    await Promise.all([page.waitForNavigation(), page.click("#login")]);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    if (width > 375) throw new Error("the login page is " + width + " px wide");
    await shot(page, "login-page-phone");
  });

  // DPoP: the client spa-dpop, whose tokens the provider binds to a key
  // (RFC 9449), and which must send the provider's nonce in its proofs.
  const tokenAnswers = [];
  page.on("response", (r) => {
    if (r.url() === issuer + "/oauth/token" && r.request().method() === "POST") tokenAnswers.push({ status: r.status(), nonce: r.headers()["dpop-nonce"] });
  });

  await check("log in with DPoP: dpop_jkt, the provider's nonce, a DPoP token bound to the key in IndexedDB", async () => {
    await page.setViewport({ width: 800, height: 600 });
    await page.goto(app + "&dpop=1");
    await status(page, { signedIn: false });
    await Promise.all([page.waitForNavigation(), page.click("#login")]);
    if (!new URL(page.url()).searchParams.get("dpop_jkt")) throw new Error("no dpop_jkt in the authorization request: " + page.url());
    await Promise.all([page.waitForNavigation(), page.click('button[value="alice"]')]);
    const s = await status(page, { signedIn: true });
    if (s.sub !== "alice" || !/^dpop$/i.test(s.tokenType) || !s.cnfJkt || s.cnfJkt !== s.keyJkt) throw new Error(JSON.stringify(s));
    if (!tokenAnswers.some((a) => a.status === 400 && a.nonce)) throw new Error("the provider never demanded its nonce: " + JSON.stringify(tokenAnswers));
    await shot(page, "spa-signed-in-dpop");
  });

  await check("read userinfo with the DPoP scheme and a proof of dpopProof, retried with the DPoP-Nonce exposed across origins", async () => {
    await page.click("#userinfo");
    await page.waitForFunction(() => document.getElementById("details").textContent.includes("status"), { timeout: 15000 });
    const d = JSON.parse(await page.$eval("#details", (e) => e.textContent));
    if (d.status !== 200 || d.scheme !== "DPoP" || !d.retriedWithNonce || d.body.sub !== "alice") throw new Error(JSON.stringify(d));
  });

  await check("renew silently with the refresh token under DPoP: the new token bound to the same key", async () => {
    const before = await status(page, { signedIn: true });
    await page.click("#renew");
    const after = await status(page, { renewed: true });
    if (after.tokenEnd === before.tokenEnd || !/^dpop$/i.test(after.tokenType) || after.cnfJkt !== before.keyJkt) throw new Error(JSON.stringify({ before, after }));
  });
} finally {
  await browser.close();
  server.close();
  proc.kill("SIGTERM");
}

const failed = results.filter((r) => !r.ok).length;
console.log(`screenshots: ${artifacts}`);
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
