// Shared by serve.mjs (npm start) and browser-test.mjs (npm test): the
// provider, cmd/oauthtest with this folder's config, and a static server
// for the app and oidc-client-ts.
import { spawn } from "node:child_process";
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));

// The ports, from the environment: SPA_PORT for the app (default 5173,
// Vite's, which may be taken: set another) and OAUTHTEST_PORT for the
// provider of npm start (default 9090, cmd/oauthtest's).
export const appPort = Number(process.env.SPA_PORT || 5173);
export const providerPort = Number(process.env.OAUTHTEST_PORT || 9090);

// The origin oauthtest.json registers the app's URIs on; the provider is
// given a copy with the app's actual origin in their place.
const configOrigin = "http://127.0.0.1:5173";

// startProvider runs command (cmd/oauthtest, or "go run" of it) with this
// folder's config, its URIs moved to appOrigin, on addr, and returns its
// issuer and process once it printed its banner.
export function startProvider(command, addr, appOrigin) {
  const [bin, ...args] = command;
  const dir = mkdtempSync(join(tmpdir(), "oauthtest-spa-"));
  const config = join(dir, "oauthtest.json");
  writeFileSync(config, readFileSync(join(here, "oauthtest.json"), "utf8").replaceAll(configOrigin, appOrigin));
  const proc = spawn(bin, [...args, "-config", config, "-addr", addr], { stdio: ["ignore", "pipe", "inherit"] });
  proc.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  return new Promise((resolve, reject) => {
    let out = "";
    proc.stdout.on("data", (chunk) => {
      out += chunk;
      const m = out.match(/issuer:\s+(\S+)/);
      if (m && out.includes("Ctrl-C stops")) resolve({ issuer: m[1], proc, banner: out });
    });
    proc.on("exit", (code) => reject(new Error(`oauthtest exited with ${code}: ${out}`)));
  });
}

// serveApp serves the SPA's files and oidc-client-ts on 127.0.0.1:port (0:
// any free port), and returns the server and its origin.
export function serveApp(port) {
  const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript" };
  const files = {
    "/": "index.html", "/index.html": "index.html", "/app.js": "app.js", "/settings.js": "settings.js", "/callback.html": "callback.html", "/silent.html": "silent.html",
    "/oidc-client-ts.min.js": "node_modules/oidc-client-ts/dist/browser/oidc-client-ts.min.js",
  };
  const server = createServer((req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    if (path === "/favicon.ico") {
      res.writeHead(204).end(); // no icon, and no 404 in the browser's console
      return;
    }
    const file = files[path];
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "Content-Type": types[extname(file)] });
    createReadStream(join(here, file)).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.on("error", (err) => reject(err.code === "EADDRINUSE" ? new Error(`port ${port} is taken: set SPA_PORT to another`) : err));
    server.listen(port, "127.0.0.1", () => resolve({ server, origin: `http://127.0.0.1:${server.address().port}` }));
  });
}

// Each check prints a line for people and a RESULT line for the
// compatibility matrix (compat/run.sh).
export const oidcClientVersion = JSON.parse(readFileSync(join(here, "node_modules/oidc-client-ts/package.json"))).version;
export const results = [];
export async function check(name, f) {
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
export async function status(page, want) {
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
