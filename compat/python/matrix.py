"""Authlib and requests-oauthlib against cmd/oauthtest at $ISSUER (started
with ../oauthtest.json): each check prints a RESULT line that compat/run.sh
turns into the compatibility table. Debian's python3-authlib and
python3-requests-oauthlib."""

import json
import os
import sys
import urllib.parse

import authlib
import requests
import requests_oauthlib
from authlib.integrations.requests_client import OAuth2Session as AuthlibSession
from authlib.jose import JsonWebKey, jwt
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from oauthlib.oauth2 import BackendApplicationClient

ISSUER = os.environ["ISSUER"]
REDIRECT = "http://127.0.0.1:8765/cb"
failures = 0


def check(client, version, exercised, f):
    global failures
    error = ""
    try:
        f()
    except Exception as e:  # every failure is a row of the table
        error = f"{type(e).__name__}: {e}"
        failures += 1
    print("RESULT " + json.dumps({"client": client, "version": version, "exercised": exercised, "ok": not error, "error": error}))


def follow(url):
    """The browser's part: the provider approves at once and redirects."""
    resp = requests.get(url, allow_redirects=False)
    if resp.status_code != 302:
        raise AssertionError(f"authorize answered {resp.status_code}")
    return resp.headers["Location"]


meta = requests.get(ISSUER + "/.well-known/openid-configuration").json()
jwks = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"]).json())


def authlib_flow():
    s = AuthlibSession("basic", "basic-secret", scope="openid email offline_access", redirect_uri=REDIRECT,
                       code_challenge_method="S256", token_endpoint_auth_method="client_secret_basic")
    verifier = generate_token(48)
    nonce = generate_token(20)
    url, state = s.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
    token = s.fetch_token(meta["token_endpoint"], authorization_response=follow(url), code_verifier=verifier, state=state)
    claims = jwt.decode(token["id_token"], jwks, claims_options={
        "iss": {"essential": True, "value": ISSUER}, "aud": {"essential": True, "value": "basic"}, "nonce": {"value": nonce}})
    claims.validate()
    if claims["sub"] != "ada" or claims["nonce"] != nonce:
        raise AssertionError(f"claims {dict(claims)}")
    refreshed = s.refresh_token(meta["token_endpoint"], refresh_token=token["refresh_token"])
    if not refreshed.get("access_token"):
        raise AssertionError("refresh")


def authlib_client_credentials():
    s = AuthlibSession("post", "post-secret", scope="api", token_endpoint_auth_method="client_secret_post")
    token = s.fetch_token(meta["token_endpoint"], grant_type="client_credentials")
    if token.get("scope") != "api" or "refresh_token" in token:
        raise AssertionError(f"token {token}")


def requests_oauthlib_flow():
    # Debian's requests-oauthlib 1.3 predates its pkce= option: PKCE by hand.
    s = requests_oauthlib.OAuth2Session("post", redirect_uri=REDIRECT, scope=["openid", "email", "offline_access"])
    verifier = generate_token(48)
    challenge = create_s256_code_challenge(verifier)
    url, state = s.authorization_url(meta["authorization_endpoint"], code_challenge=challenge, code_challenge_method="S256")
    token = s.fetch_token(meta["token_endpoint"], authorization_response=follow(url), client_secret="post-secret",
                          include_client_id=True, code_verifier=verifier)
    claims = jwt.decode(token["id_token"], jwks)
    claims.validate()
    info = s.get(meta["userinfo_endpoint"]).json()
    if info.get("email") != "ada@example.com":
        raise AssertionError(f"userinfo {info}")
    refreshed = s.refresh_token(meta["token_endpoint"], client_id="post", client_secret="post-secret")
    if not refreshed.get("access_token"):
        raise AssertionError("refresh")


def requests_oauthlib_client_credentials():
    s = requests_oauthlib.OAuth2Session(client=BackendApplicationClient(client_id="basic"), scope=["api"])
    token = s.fetch_token(meta["token_endpoint"], client_id="basic", client_secret="basic-secret")
    if token.get("scope") != ["api"] and token.get("scope") != "api":
        raise AssertionError(f"token {token}")


os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the provider is on http://127.0.0.1
check("Authlib", authlib.__version__, "discovery; code flow with PKCE and nonce; client_secret_basic; ID token validation against the JWKS; refresh", authlib_flow)
check("Authlib", authlib.__version__, "client credentials; client_secret_post", authlib_client_credentials)
check("requests-oauthlib", requests_oauthlib.__version__, "code flow with PKCE; client_secret_post; userinfo; refresh", requests_oauthlib_flow)
check("requests-oauthlib", requests_oauthlib.__version__, "client credentials (BackendApplicationClient)", requests_oauthlib_client_credentials)
sys.exit(1 if failures else 0)
