// npm start: the provider on 127.0.0.1:9090 (go run of cmd/oauthtest) and
// the app on http://127.0.0.1:5173. Ctrl-C stops both.
import { serveApp, startProvider } from "./harness.mjs";

const { issuer, proc, banner } = await startProvider(["go", "run", "../../cmd/oauthtest"], "127.0.0.1:9090");
process.stdout.write(banner);
const server = await serveApp();
console.log(`\nOpen http://127.0.0.1:5173/?authority=${encodeURIComponent(issuer)}`);
process.on("SIGINT", () => {
  server.close();
  proc.kill("SIGINT");
  process.exit(0);
});
