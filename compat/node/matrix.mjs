// openid-client and oauth4webapi against cmd/oauthtest at $ISSUER (started
// with ../oauthtest.json): each check prints a RESULT line that
// compat/run.sh turns into the compatibility table.
import { readFileSync } from "node:fs";
import * as oauth from "oauth4webapi";
import * as client from "openid-client";

const issuer = new URL(process.env.ISSUER);
const redirectURI = "http://127.0.0.1:8765/cb";
const version = (pkg) => JSON.parse(readFileSync(new URL(`./node_modules/${pkg}/package.json`, import.meta.url))).version;

let failures = 0;
async function check(lib, exercised, f) {
  let error = "";
  try {
    await f();
  } catch (err) {
    error = `${err.name}: ${err.message}${err.error ? " (" + err.error + ")" : ""}`;
    failures++;
  }
  console.log("RESULT " + JSON.stringify({ client: lib, version: version(lib), exercised, ok: !error, error }));
}

// follow plays the browser: the provider approves at once and redirects.
async function follow(url) {
  const resp = await fetch(url, { redirect: "manual" });
  if (resp.status !== 302) throw new Error(`authorize answered ${resp.status}`);
  return new URL(resp.headers.get("location"));
}

// mustFail accepts a refusal with the OAuth error code: in the JSON body,
// or, for a client that sent Basic credentials, in the Basic challenge's
// auth-params (oauth4webapi reads the challenge first).
function mustFail(code) {
  return (err) => {
    const challenged = Array.isArray(err?.cause) && err.cause.some((c) => c.parameters?.error === code);
    if (err?.error === code || err?.cause?.error === code || challenged) return "refused";
    throw new Error(`want ${code}, got ${err?.name}: ${err?.message} ${err?.error ?? ""}`);
  };
}

const insecure = { execute: [client.allowInsecureRequests] };
const login = async (config, extra = {}) => {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectURI, scope: "openid profile email offline_access", state, nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256", ...extra,
  });
  const callback = await follow(url);
  return { callback, verifier, state, nonce };
};
const redeem = (config, l, verifier = l.verifier) =>
  client.authorizationCodeGrant(config, l.callback, { pkceCodeVerifier: verifier, expectedState: l.state, expectedNonce: l.nonce });

await check("openid-client", "discovery; code flow with PKCE, state and nonce; client_secret_basic; ID token validation; userinfo; refresh", async () => {
  const config = await client.discovery(issuer, "basic", "basic-secret", client.ClientSecretBasic("basic-secret"), insecure);
  const tokens = await redeem(config, await login(config));
  const claims = tokens.claims();
  if (claims.sub !== "ada") throw new Error("sub " + claims.sub);
  const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  if (info.email !== "ada@example.com") throw new Error("userinfo " + JSON.stringify(info));
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  if (!refreshed.access_token || refreshed.claims()?.sub !== "ada") throw new Error("refresh");
});

await check("openid-client", "client_secret_post; revocation; introspection", async () => {
  const config = await client.discovery(issuer, "post", "post-secret", client.ClientSecretPost("post-secret"), insecure);
  const tokens = await redeem(config, await login(config));
  const live = await client.tokenIntrospection(config, tokens.access_token);
  if (!live.active || live.sub !== "ada") throw new Error("introspection " + JSON.stringify(live));
  await client.tokenRevocation(config, tokens.refresh_token);
  await client.refreshTokenGrant(config, tokens.refresh_token).then(() => { throw new Error("a revoked refresh token worked"); }, mustFail("invalid_grant"));
});

await check("openid-client", "public client (none) with PKCE", async () => {
  const config = await client.discovery(issuer, "public", undefined, client.None(), insecure);
  const tokens = await redeem(config, await login(config));
  if (tokens.claims().sub !== "ada") throw new Error("sub");
});

await check("openid-client", "negative: wrong secret, reused code, wrong verifier", async () => {
  const wrong = await client.discovery(issuer, "basic", "wrong", client.ClientSecretBasic("wrong"), insecure);
  await redeem(wrong, await login(wrong)).then(() => { throw new Error("a wrong secret worked"); }, mustFail("invalid_client"));
  const config = await client.discovery(issuer, "basic", "basic-secret", client.ClientSecretBasic("basic-secret"), insecure);
  const l = await login(config);
  await redeem(config, l);
  await redeem(config, l).then(() => { throw new Error("a reused code worked"); }, mustFail("invalid_grant"));
  await redeem(config, await login(config), client.randomPKCECodeVerifier()).then(() => { throw new Error("a wrong verifier worked"); }, mustFail("invalid_grant"));
});

// expireCodes stages expired codes through the control API (WithControlAPI).
async function expireCodes() {
  const resp = await fetch(new URL("/_oauthtest/codes/expire", issuer), { method: "POST" });
  if (resp.status !== 200) throw new Error(`control API: ${resp.status}`);
}

await check("openid-client", "negative: expired code (staged through the control API)", async () => {
  const config = await client.discovery(issuer, "basic", "basic-secret", client.ClientSecretBasic("basic-secret"), insecure);
  const l = await login(config);
  await expireCodes();
  await redeem(config, l).then(() => { throw new Error("an expired code worked"); }, mustFail("invalid_grant"));
});

await check("openid-client", "client credentials", async () => {
  const config = await client.discovery(issuer, "basic", "basic-secret", client.ClientSecretBasic("basic-secret"), insecure);
  const tokens = await client.clientCredentialsGrant(config, { scope: "api" });
  if (tokens.scope !== "api") throw new Error("scope " + tokens.scope);
});

// o4w is oauth4webapi's flow for client id, authenticated by auth.
const opts = { [oauth.allowInsecureRequests]: true };
const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, opts));
async function o4wLogin(id) {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const url = new URL(as.authorization_endpoint);
  for (const [k, v] of Object.entries({ client_id: id, redirect_uri: redirectURI, response_type: "code", scope: "openid email offline_access",
    state, nonce, code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256" })) url.searchParams.set(k, v);
  const params = oauth.validateAuthResponse(as, { client_id: id }, await follow(url), state);
  return { params, verifier, nonce };
}
async function o4wRedeem(id, auth, l, verifier = l.verifier) {
  const c = { client_id: id };
  const resp = await oauth.authorizationCodeGrantRequest(as, c, auth, l.params, redirectURI, verifier, opts);
  return oauth.processAuthorizationCodeResponse(as, c, resp, { expectedNonce: l.nonce, requireIdToken: true });
}

await check("oauth4webapi", "discovery; code flow with PKCE, state and nonce; client_secret_basic; ID token validation; userinfo; refresh", async () => {
  const c = { client_id: "basic" };
  const auth = oauth.ClientSecretBasic("basic-secret");
  const tokens = await o4wRedeem("basic", auth, await o4wLogin("basic"));
  const sub = oauth.getValidatedIdTokenClaims(tokens).sub;
  const info = await oauth.processUserInfoResponse(as, c, sub, await oauth.userInfoRequest(as, c, tokens.access_token, opts));
  if (info.email !== "ada@example.com") throw new Error("userinfo");
  const refreshed = await oauth.processRefreshTokenResponse(as, c, await oauth.refreshTokenGrantRequest(as, c, auth, tokens.refresh_token, opts));
  if (!refreshed.access_token) throw new Error("refresh");
});

await check("oauth4webapi", "client_secret_post; revocation; introspection", async () => {
  const c = { client_id: "post" };
  const auth = oauth.ClientSecretPost("post-secret");
  const tokens = await o4wRedeem("post", auth, await o4wLogin("post"));
  const live = await oauth.processIntrospectionResponse(as, c, await oauth.introspectionRequest(as, c, auth, tokens.access_token, opts));
  if (!live.active || live.sub !== "ada") throw new Error("introspection " + JSON.stringify(live));
  await oauth.processRevocationResponse(await oauth.revocationRequest(as, c, auth, tokens.refresh_token, opts));
  const resp = await oauth.refreshTokenGrantRequest(as, c, auth, tokens.refresh_token, opts);
  await oauth.processRefreshTokenResponse(as, c, resp).then(() => { throw new Error("a revoked refresh token worked"); }, mustFail("invalid_grant"));
});

await check("oauth4webapi", "negative: expired code (staged through the control API)", async () => {
  const l = await o4wLogin("basic");
  await expireCodes();
  await o4wRedeem("basic", oauth.ClientSecretBasic("basic-secret"), l).then(() => { throw new Error("an expired code worked"); }, mustFail("invalid_grant"));
});

await check("oauth4webapi", "public client (none) with PKCE", async () => {
  const tokens = await o4wRedeem("public", oauth.None(), await o4wLogin("public"));
  if (oauth.getValidatedIdTokenClaims(tokens).sub !== "ada") throw new Error("sub");
});

await check("oauth4webapi", "negative: wrong secret, reused code, wrong verifier", async () => {
  const c = { client_id: "basic" };
  const wrong = await oauth.clientCredentialsGrantRequest(as, c, oauth.ClientSecretBasic("wrong"), new URLSearchParams(), opts);
  await oauth.processClientCredentialsResponse(as, c, wrong).then(() => { throw new Error("a wrong secret worked"); }, mustFail("invalid_client"));
  const auth = oauth.ClientSecretBasic("basic-secret");
  const l = await o4wLogin("basic");
  await o4wRedeem("basic", auth, l);
  await o4wRedeem("basic", auth, l).then(() => { throw new Error("a reused code worked"); }, mustFail("invalid_grant"));
  await o4wRedeem("basic", auth, await o4wLogin("basic"), oauth.generateRandomCodeVerifier()).then(() => { throw new Error("a wrong verifier worked"); }, mustFail("invalid_grant"));
});

// ---- PAR, JAR and FAPI 2.0 (#21 points 2, 3, 4): client jar signs its
// request objects with ../keys/jar.pem; FAPI_ISSUER is cmd/oauthtest with
// ../fapi.json (-fapi2), whose client bank authenticates with ../keys/fapi.pem.
const { webcrypto } = await import("node:crypto");
async function privateKey(name) {
  const pem = readFileSync(new URL(`../keys/${name}.pem`, import.meta.url), "utf8");
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
  return webcrypto.subtle.importKey("pkcs8", der, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
}
const jarKey = await privateKey("jar");
const pkce = async () => {
  const verifier = client.randomPKCECodeVerifier();
  return { verifier, state: client.randomState(), challenge: await client.calculatePKCECodeChallenge(verifier) };
};
const authParams = (p, scope = "openid profile email") => ({ redirect_uri: redirectURI, scope, state: p.state, code_challenge: p.challenge, code_challenge_method: "S256" });
const redeemPKCE = (config, callback, p, options) =>
  client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: p.verifier, expectedState: p.state }, undefined, options);

await check("openid-client", "PAR (buildAuthorizationUrlWithPAR); client_secret_basic; one use of the request_uri", async () => {
  const config = await client.discovery(issuer, "basic", "basic-secret", client.ClientSecretBasic("basic-secret"), insecure);
  const p = await pkce();
  const url = await client.buildAuthorizationUrlWithPAR(config, authParams(p));
  if (!url.searchParams.get("request_uri")?.startsWith("urn:ietf:params:oauth:request_uri:")) throw new Error("url " + url);
  const tokens = await redeemPKCE(config, await follow(url), p);
  if (tokens.claims().sub !== "ada") throw new Error("sub");
  const again = await fetch(url, { redirect: "manual" });
  if (again.status !== 400) throw new Error(`a used request_uri answered ${again.status}`);
});

await check("openid-client", "JAR (buildAuthorizationUrlWithJAR, ES256 request object by value)", async () => {
  const config = await client.discovery(issuer, "jar", "jar-secret", client.ClientSecretBasic("jar-secret"), insecure);
  const p = await pkce();
  const url = await client.buildAuthorizationUrlWithJAR(config, authParams(p), jarKey);
  if (!url.searchParams.get("request")) throw new Error("no request object in " + url);
  const tokens = await redeemPKCE(config, await follow(url), p);
  if (tokens.claims().sub !== "ada") throw new Error("sub");
});

await check("openid-client", "JAR pushed (buildAuthorizationUrlWithJAR, then buildAuthorizationUrlWithPAR)", async () => {
  const config = await client.discovery(issuer, "jar", "jar-secret", client.ClientSecretBasic("jar-secret"), insecure);
  const p = await pkce();
  const jar = await client.buildAuthorizationUrlWithJAR(config, authParams(p), jarKey);
  const url = await client.buildAuthorizationUrlWithPAR(config, jar.searchParams);
  const tokens = await redeemPKCE(config, await follow(url), p);
  if (tokens.claims().sub !== "ada") throw new Error("sub");
});

// o4wPKCE is an authorization request's PKCE and state for oauth4webapi.
async function o4wPKCE(id) {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const params = { client_id: id, redirect_uri: redirectURI, response_type: "code", scope: "openid email", state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256" };
  return { verifier, state, params };
}
async function o4wFinish(id, auth, l, url) {
  const c = { client_id: id };
  const callback = oauth.validateAuthResponse(as, c, await follow(url), l.state);
  const resp = await oauth.authorizationCodeGrantRequest(as, c, auth, callback, redirectURI, l.verifier, opts);
  return oauth.processAuthorizationCodeResponse(as, c, resp, { requireIdToken: true });
}

await check("oauth4webapi", "PAR (pushedAuthorizationRequest); client_secret_basic", async () => {
  const c = { client_id: "basic" };
  const auth = oauth.ClientSecretBasic("basic-secret");
  const l = await o4wPKCE("basic");
  const pushed = await oauth.processPushedAuthorizationResponse(as, c, await oauth.pushedAuthorizationRequest(as, c, auth, l.params, opts));
  const url = new URL(as.authorization_endpoint);
  url.searchParams.set("client_id", "basic");
  url.searchParams.set("request_uri", pushed.request_uri);
  const tokens = await o4wFinish("basic", auth, l, url);
  if (oauth.getValidatedIdTokenClaims(tokens).sub !== "ada") throw new Error("sub");
});

await check("oauth4webapi", "JAR (issueRequestObject, ES256) by value", async () => {
  const c = { client_id: "jar" };
  const l = await o4wPKCE("jar");
  const request = await oauth.issueRequestObject(as, c, l.params, { key: jarKey });
  const url = new URL(as.authorization_endpoint);
  url.searchParams.set("client_id", "jar");
  url.searchParams.set("request", request);
  const tokens = await o4wFinish("jar", oauth.ClientSecretBasic("jar-secret"), l, url);
  if (oauth.getValidatedIdTokenClaims(tokens).sub !== "ada") throw new Error("sub");
});

const fapiIssuer = process.env.FAPI_ISSUER && new URL(process.env.FAPI_ISSUER);
const fapiConfig = async () => client.discovery(fapiIssuer, "bank", { id_token_signed_response_alg: "ES256" },
  client.PrivateKeyJwt(await privateKey("fapi")), insecure);

await check("openid-client", "FAPI 2.0 (-fapi2): PAR, PKCE S256, private_key_jwt, DPoP-bound tokens, userinfo, refresh without rotation", async () => {
  if (!fapiIssuer) throw new Error("FAPI_ISSUER is not set: start cmd/oauthtest -config compat/fapi.json");
  const config = await fapiConfig();
  const meta = config.serverMetadata();
  if (meta.require_pushed_authorization_requests !== true || meta.token_endpoint_auth_methods_supported.join() !== "private_key_jwt") throw new Error("discovery " + JSON.stringify(meta));
  const DPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair("ES256"));
  const p = await pkce();
  const url = await client.buildAuthorizationUrlWithPAR(config, authParams(p, "openid email offline_access"), { DPoP });
  const callback = await follow(url);
  if (callback.searchParams.get("iss") !== fapiIssuer.href.replace(/\/$/, "")) throw new Error("no iss in " + callback);
  const tokens = await redeemPKCE(config, callback, p, { DPoP });
  if (tokens.token_type.toLowerCase() !== "dpop") throw new Error("token_type " + tokens.token_type);
  const sub = tokens.claims().sub;
  const info = await client.fetchUserInfo(config, tokens.access_token, sub, { DPoP });
  if (info.email !== "ada@example.com") throw new Error("userinfo " + JSON.stringify(info));
  for (let i = 0; i < 2; i++) { // the same refresh token twice: FAPI 2.0 §5.3.2.1 item 9
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token, undefined, { DPoP });
    if (refreshed.refresh_token || refreshed.token_type.toLowerCase() !== "dpop") throw new Error("refresh " + JSON.stringify(refreshed));
  }
});

await check("openid-client", "negative FAPI 2.0: authorization request without PAR, token request without DPoP", async () => {
  if (!fapiIssuer) throw new Error("FAPI_ISSUER is not set");
  const config = await fapiConfig();
  const p = await pkce();
  const plain = await fetch(client.buildAuthorizationUrl(config, authParams(p)), { redirect: "manual" });
  if (plain.status !== 400 || !(await plain.text()).includes("§5.3.2.2 item 3")) throw new Error(`authorize without PAR answered ${plain.status}`);
  const callback = await follow(await client.buildAuthorizationUrlWithPAR(config, authParams(p)));
  await redeemPKCE(config, callback, p).then(() => { throw new Error("a token request without DPoP worked"); }, mustFail("invalid_dpop_proof"));
});

process.exit(failures ? 1 : 0);
