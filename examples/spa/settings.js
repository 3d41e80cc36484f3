// The UserManager settings of the app and its callback pages. The provider
// is the ?authority= parameter. ?dpop=1 logs in as the client spa-dpop
// instead, with DPoP (RFC 9449): its tokens are bound to a key
// oidc-client-ts keeps in IndexedDB. Both parameters are remembered for the
// callbacks; ?dpop=0 turns DPoP off again.
function userManagerSettings() {
  const params = new URLSearchParams(location.search);
  for (const name of ["authority", "dpop"]) {
    if (params.get(name)) sessionStorage.setItem(name, params.get(name));
  }
  const dpop = sessionStorage.getItem("dpop") === "1";
  return {
    authority: sessionStorage.getItem("authority"),
    client_id: dpop ? "spa-dpop" : "spa",
    redirect_uri: location.origin + "/callback.html",
    silent_redirect_uri: location.origin + "/silent.html",
    post_logout_redirect_uri: location.origin + "/",
    scope: "openid profile email",
    loadUserInfo: false,
    automaticSilentRenew: false,
    // bind_authorization_code sends dpop_jkt: the code is bound to the key too (RFC 9449 §10).
    dpop: dpop ? { bind_authorization_code: true, store: new oidc.IndexedDbDPoPStore() } : undefined,
  };
}
