// npm start: the provider (go run of cmd/oauthtest) on 127.0.0.1:$OAUTHTEST_PORT
// (default 9090) and the app on http://127.0.0.1:$SPA_PORT (default 5173).
// Ctrl-C stops both.
import { appPort, providerPort, serveApp, startProvider } from "./harness.mjs";

const { server, origin } = await serveApp(appPort);
const { issuer, proc, banner } = await startProvider(["go", "run", "../../cmd/oauthtest"], `127.0.0.1:${providerPort}`, origin);
process.stdout.write(banner);
console.log(`\nOpen ${origin}/?authority=${encodeURIComponent(issuer)}`);
process.on("SIGINT", () => {
  server.close();
  proc.kill("SIGINT");
  process.exit(0);
});
