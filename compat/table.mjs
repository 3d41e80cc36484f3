// Reads the matrix's RESULT lines (JSON, one a line) on stdin and writes the
// compatibility table, in Markdown, to stdout: compat/results.md, which
// docs/compatibility.md includes verbatim.
import { readFileSync } from "node:fs";

const order = ["golang.org/x/oauth2", "github.com/coreos/go-oidc/v3", "openid-client", "oauth4webapi", "Authlib", "requests-oauthlib", "oidc-client-ts (headless Chromium)"];
const language = { "golang.org/x/oauth2": "Go", "github.com/coreos/go-oidc/v3": "Go", "openid-client": "JavaScript (Node)", "oauth4webapi": "JavaScript (Node)",
  "Authlib": "Python", "requests-oauthlib": "Python", "oidc-client-ts (headless Chromium)": "JavaScript (browser)" };
const rows = readFileSync(0, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l.replace(/^RESULT /, "")));
rows.sort((a, b) => order.indexOf(a.client) - order.indexOf(b.client) || a.exercised.localeCompare(b.exercised));
const lines = ["| client | version | language | exercised | result |", "|---|---|---|---|---|"];
for (const r of rows) lines.push(`| ${r.client} | ${r.version} | ${language[r.client] ?? "?"} | ${r.exercised} | ${r.ok ? "pass" : "FAIL"} |`);
process.stdout.write(lines.join("\n") + "\n");
