// The SPA: oidc-client-ts against the provider settings.js names, the
// ?authority= parameter (the URL npm start prints has it), with DPoP if it
// says so.
const params = new URLSearchParams(location.search);
const settings = userManagerSettings();
if (!settings.authority) {
  document.getElementById("status").textContent = "No provider: open the URL npm start printed, which ends in ?authority=ISSUER.";
  throw new Error("no ?authority=");
}
const userManager = new oidc.UserManager(settings);

const status = document.getElementById("status");
const details = document.getElementById("details");

function show(state) {
  status.textContent = JSON.stringify(state, null, 2);
}

// dpopBinding is, for a user with DPoP, the token type, the thumbprint of
// the key the access token is bound to (its cnf claim) and that of the key
// in the DPoP store.
async function dpopBinding(user) {
  if (!userManager.settings.dpop) return {};
  const claims = JSON.parse(atob(user.access_token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
  return { tokenType: user.token_type, cnfJkt: claims.cnf && claims.cnf.jkt, keyJkt: await userManager.generateDPoPJkt(userManager.settings.dpop) };
}

async function refresh(extra) {
  const user = await userManager.getUser();
  show(user ? { signedIn: true, sub: user.profile.sub, name: user.profile.name, tokenEnd: user.access_token.slice(-12), ...await dpopBinding(user), ...extra }
            : { signedIn: false, ...extra });
}

function failed(err) {
  show({ error: err.error || String(err.message || err), description: err.error_description || "" });
}

document.getElementById("login").onclick = () => userManager.signinRedirect().catch(failed);
document.getElementById("logout").onclick = async () => {
  try {
    await userManager.signoutRedirect();
  } catch (err) {
    failed(err);
  }
};
// Renew with the refresh token if there is one, else in a hidden iframe
// (prompt=none), where the provider's session cookie says who is logged in.
async function renew(args, marker) {
  try {
    await userManager.signinSilent(args);
    await refresh({ [marker]: true });
  } catch (err) {
    failed(err);
  }
}
document.getElementById("renew").onclick = () => renew({}, "renewed");
document.getElementById("renew-iframe").onclick = () => renew({ forceIframeAuth: true }, "renewedInIframe");
// Userinfo is read with fetch: a DPoP-bound token with the DPoP scheme
// and a proof of the key, retried once with the provider's nonce if it
// demands one (RFC 9449 §7, §9), any other as a Bearer token.
document.getElementById("userinfo").onclick = async () => {
  const user = await userManager.getUser();
  const meta = await userManager.metadataService.getMetadata();
  const token = user ? user.access_token : "";
  const scheme = user && /^dpop$/i.test(user.token_type) ? "DPoP" : "Bearer";
  const get = async (nonce) => fetch(meta.userinfo_endpoint, { headers: scheme === "DPoP"
    ? { Authorization: "DPoP " + token, DPoP: await userManager.dpopProof(meta.userinfo_endpoint, user, "GET", nonce) }
    : { Authorization: "Bearer " + token } });
  let resp = await get();
  const nonce = resp.headers.get("DPoP-Nonce"); // readable across origins: the provider exposes it (CORS)
  const retried = scheme === "DPoP" && resp.status === 401 && !!nonce;
  if (retried) resp = await get(nonce);
  details.textContent = JSON.stringify({ status: resp.status, scheme, retriedWithNonce: retried, body: await resp.json().catch(() => null) }, null, 2);
};

if (params.get("error")) {
  show({ error: params.get("error"), description: params.get("error_description") });
} else {
  refresh({}).catch(failed);
}
