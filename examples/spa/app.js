// The SPA: oidc-client-ts against the provider whose issuer is the
// ?authority= parameter (remembered for the callbacks): the URL npm start
// prints has it.
const params = new URLSearchParams(location.search);
if (params.get("authority")) sessionStorage.setItem("authority", params.get("authority"));
const authority = sessionStorage.getItem("authority");
if (!authority) {
  document.getElementById("status").textContent = "No provider: open the URL npm start printed, which ends in ?authority=ISSUER.";
  throw new Error("no ?authority=");
}

const userManager = new oidc.UserManager({
  authority,
  client_id: "spa",
  redirect_uri: location.origin + "/callback.html",
  silent_redirect_uri: location.origin + "/silent.html",
  post_logout_redirect_uri: location.origin + "/",
  scope: "openid profile email",
  loadUserInfo: false,
  automaticSilentRenew: false,
});

const status = document.getElementById("status");
const details = document.getElementById("details");

function show(state) {
  status.textContent = JSON.stringify(state, null, 2);
}

async function refresh(extra) {
  const user = await userManager.getUser();
  show(user ? { signedIn: true, sub: user.profile.sub, name: user.profile.name, tokenEnd: user.access_token.slice(-12), ...extra }
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
document.getElementById("userinfo").onclick = async () => {
  const user = await userManager.getUser();
  const meta = await userManager.metadataService.getMetadata();
  const resp = await fetch(meta.userinfo_endpoint, { headers: { Authorization: "Bearer " + (user ? user.access_token : "") } });
  details.textContent = JSON.stringify({ status: resp.status, body: await resp.json().catch(() => null) }, null, 2);
};

if (params.get("error")) {
  show({ error: params.get("error"), description: params.get("error_description") });
} else {
  refresh({}).catch(failed);
}
