// A verifier outside Go against a provider whose clock was moved through
// the control API: jose's jwtVerify judges a token by the wall clock unless
// given currentDate, and with maxTokenAge (as openid-client checks ID
// tokens) refuses an iat ahead of it. docs/time.md shows the code between
// the markers; faketime_node_test.go runs this script against a provider
// started with WithControlAPI (ISSUER).
import { createRemoteJWKSet, jwtVerify } from "jose";

const issuer = process.env.ISSUER;
if (!issuer) throw new Error("set ISSUER to a provider with the control API");

async function post(path, body) {
  const resp = await fetch(issuer + path, {
    method: "POST",
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!resp.ok) throw new Error(`${path}: HTTP ${resp.status} ${await resp.text()}`);
  return resp;
}

// An access token issued after the provider's clock moved 61 minutes ahead.
await post("/_oauthtest/clock", { advance: "61m" });
const tokenResponse = await (await fetch(issuer + "/oauth/token", {
  method: "POST",
  headers: { Authorization: "Basic " + btoa("oauthtest-client:oauthtest-secret"), "Content-Type": "application/x-www-form-urlencoded" },
  body: "grant_type=client_credentials",
})).json();
const token = tokenResponse.access_token;
if (!token) throw new Error("no access token: " + JSON.stringify(tokenResponse));
const jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));

let failures = 0;
async function expect(name, wantError, f) {
  try {
    await f();
    if (wantError) throw new Error(`accepted, want ${wantError}`);
  } catch (err) {
    if (!wantError || !String(err.message).includes(wantError)) {
      failures++;
      console.log(`FAIL  ${name}: ${err.message}`);
      return;
    }
  }
  console.log(`ok    ${name}`);
}

await expect("the wall clock refuses an iat ahead of it", "it should be in the past", () =>
  jwtVerify(token, jwks, { issuer, maxTokenAge: "1h" }));

await expect("currentDate: the provider's time accepts it", "", async () => {
  // docs/time.md: jose
  // The provider's time, from its control API.
  const { time } = await (await fetch(`${issuer}/_oauthtest/clock`)).json();
  const { payload } = await jwtVerify(token, jwks, {
    issuer,
    currentDate: new Date(time),
    maxTokenAge: "1h",
  });
  // end of docs/time.md: jose
  if (payload.iat * 1000 <= Date.now()) throw new Error("the token's iat is not ahead of the wall clock");
});

await expect("clockTolerance as wide as the advance accepts it", "", () =>
  jwtVerify(token, jwks, { issuer, maxTokenAge: "1h", clockTolerance: "62m" }));

// Two hours later by the provider's clock the token has expired, though
// not by the wall clock: only currentDate sees it.
await post("/_oauthtest/clock", { advance: "2h" });
await expect("the wall clock still accepts the expired token", "", () => jwtVerify(token, jwks, { issuer }));
await expect("currentDate: the provider's time sees it expired", '"exp" claim timestamp check failed', async () => {
  const { time } = await (await fetch(`${issuer}/_oauthtest/clock`)).json();
  await jwtVerify(token, jwks, { issuer, currentDate: new Date(time) });
});

console.log(failures ? `${failures} failed` : "all passed");
process.exit(failures ? 1 : 0);
