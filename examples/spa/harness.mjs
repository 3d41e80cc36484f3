// Shared by serve.mjs (npm start) and browser-test.mjs (npm test): the
// provider, cmd/oauthtest with this folder's config, and a static server
// for the app and oidc-client-ts.
import { spawn } from "node:child_process";
import { createReadStream } from "node:fs";
import { createServer } from "node:http";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));

// startProvider runs command (cmd/oauthtest, or "go run" of it) with this
// folder's config on addr, and returns its issuer and process once it
// printed its banner.
export function startProvider(command, addr) {
  const [bin, ...args] = command;
  const proc = spawn(bin, [...args, "-config", join(here, "oauthtest.json"), "-addr", addr], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    proc.stdout.on("data", (chunk) => {
      out += chunk;
      const m = out.match(/issuer:\s+(\S+)/);
      if (m) resolve({ issuer: m[1], proc, banner: out });
    });
    proc.on("exit", (code) => reject(new Error(`oauthtest exited with ${code}: ${out}`)));
  });
}

// serveApp serves the SPA's files and oidc-client-ts on 127.0.0.1:5173,
// the origin its client registers.
export function serveApp() {
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
  return new Promise((resolve) => server.listen(5173, "127.0.0.1", () => resolve(server)));
}
