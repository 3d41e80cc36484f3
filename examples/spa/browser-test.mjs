// The SPA example's test, in a real headless Chromium: the app on
// http://127.0.0.1:$SPA_PORT (default: any free port) logs in against
// cmd/oauthtest on another origin (any free port),
// reads userinfo, renews silently, logs out, and a user denies; the
// provider's login and error pages are exercised. A screenshot of each page
// goes to $ARTIFACTS (default ./screenshots).
//
//   OAUTHTEST_BIN=/path/to/oauthtest CHROMIUM=/usr/bin/chromium node browser-test.mjs
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import puppeteer from "puppeteer-core";
import { serveApp, startProvider } from "./harness.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));
const artifacts = process.env.ARTIFACTS || join(here, "screenshots");
mkdirSync(artifacts, { recursive: true });

// Each check prints a line for people and a RESULT line for the
// compatibility matrix (compat/run.sh).
const oidcClientVersion = JSON.parse(readFileSync(join(here, "node_modules/oidc-client-ts/package.json"))).version;
const results = [];
async function check(name, f) {
  let error = "";
  try {
    await f();
    console.log(`ok    ${name}`);
  } catch (err) {
    error = err.message;
    console.log(`FAIL  ${name}: ${err.message}`);
  }
  results.push({ name, ok: !error });
  console.log("RESULT " + JSON.stringify({ client: "oidc-client-ts (headless Chromium)", version: oidcClientVersion, exercised: name, ok: !error, error }));
}

// status reads the SPA's state once it satisfies want.
async function status(page, want) {
  await page.waitForFunction((w) => {
    try {
      const s = JSON.parse(document.getElementById("status").textContent);
      return Object.entries(w).every(([k, v]) => s[k] === v);
    } catch {
      return false;
    }
  }, { timeout: 15000 }, want);
  return JSON.parse(await page.$eval("#status", (e) => e.textContent));
}

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
} finally {
  await browser.close();
  server.close();
  proc.kill("SIGTERM");
}

const failed = results.filter((r) => !r.ok).length;
console.log(`screenshots: ${artifacts}`);
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
