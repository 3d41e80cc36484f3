package oauthtest_test

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/c95d6557/oauthtest"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// tvClient is a public client of the device flow, as a TV or a CLI is.
var tvClient = oauthtest.Client{ID: "tv", Public: true, GrantTypes: []string{oauthtest.GrantDeviceCode, oauthtest.GrantRefreshToken}}

// deviceConfig is tv's x/oauth2 configuration, its endpoints from discovery.
func deviceConfig(t *testing.T, p *oauthtest.Provider) *oauth2.Config {
	t.Helper()
	op, err := oidc.NewProvider(clientContext(p), p.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	ep := op.Endpoint()
	ep.AuthStyle = oauth2.AuthStyleInParams
	if ep.DeviceAuthURL != p.Issuer()+oauthtest.DeviceAuthorizationPath {
		t.Fatalf("discovery's device_authorization_endpoint %q", ep.DeviceAuthURL)
	}
	return &oauth2.Config{ClientID: "tv", Endpoint: ep, Scopes: []string{"openid", "email"}}
}

// deviceTest runs f in a synctest bubble with a provider in memory, where
// x/oauth2's polling interval passes in no real time.
func deviceTest(t *testing.T, f func(t *testing.T, p *oauthtest.Provider, cfg *oauth2.Config), opts ...oauthtest.Option) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := oauthtest.NewTestProvider(t, append(opts, oauthtest.WithInMemoryTransport(), oauthtest.WithClient(tvClient))...)
		f(t, p, deviceConfig(t, p))
	})
}

// TestDeviceFlowApprovedAtOnce: without a login page the provider approves
// at once; x/oauth2 gets tokens at its first poll.
func TestDeviceFlowApprovedAtOnce(t *testing.T) {
	deviceTest(t, func(t *testing.T, p *oauthtest.Provider, cfg *oauth2.Config) {
		ctx := clientContext(p)
		da, err := cfg.DeviceAuth(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(da.UserCode) != 9 || da.VerificationURI != p.Issuer()+"/oauth/device" || da.VerificationURIComplete != da.VerificationURI+"?user_code="+da.UserCode || da.Interval != 5 {
			t.Errorf("device authorization %+v", da)
		}
		tok, err := cfg.DeviceAccessToken(ctx, da)
		if err != nil {
			t.Fatal(err)
		}
		if tok.RefreshToken == "" || tok.Extra("id_token") == nil {
			t.Errorf("token %+v", tok)
		}
		if _, body := userinfo(t, p, tok.AccessToken); body["sub"] != "test-user" {
			t.Errorf("userinfo %v", body)
		}
		if ds := p.Devices(); len(ds) != 1 || ds[0].State != "redeemed" || ds[0].Subject != "test-user" || ds[0].ClientID != "tv" {
			t.Errorf("devices %+v", ds)
		}
	})
}

// TestDeviceFlowApprovedLater: with a login page the device polls
// (authorization_pending) until the test approves it, as alice.
func TestDeviceFlowApprovedLater(t *testing.T) {
	deviceTest(t, func(t *testing.T, p *oauthtest.Provider, cfg *oauth2.Config) {
		ctx := clientContext(p)
		da, err := cfg.DeviceAuth(ctx)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan *oauth2.Token)
		go func() {
			tok, err := cfg.DeviceAccessToken(ctx, da)
			if err != nil {
				t.Error(err)
			}
			done <- tok
		}()
		time.Sleep(time.Minute + 2*time.Second) // the device polls 12 times, in no real time
		if err := p.QueueUser(alice); err != nil {
			t.Fatal(err)
		}
		if err := p.ApproveDevice(strings.ToLower(strings.ReplaceAll(da.UserCode, "-", ""))); err != nil {
			t.Fatal(err)
		}
		tok := <-done
		if _, body := userinfo(t, p, tok.AccessToken); body["sub"] != "alice" {
			t.Errorf("userinfo %v", body)
		}
		pending := 0
		for _, r := range p.RequestsTo(oauthtest.EndpointToken) {
			if r.Error == "authorization_pending" {
				pending++
			}
		}
		if pending != 12 {
			t.Errorf("%d authorization_pending answers in a minute of 5-second polls, want 12", pending)
		}
		if err := p.ApproveDevice(da.UserCode); err == nil {
			t.Error("a device was approved twice")
		}
	}, oauthtest.WithLoginPage(), oauthtest.WithUsers(alice))
}

// TestDeviceFlowDenied: a queued denial, or DenyDevice, is access_denied.
func TestDeviceFlowDenied(t *testing.T) {
	deviceTest(t, func(t *testing.T, p *oauthtest.Provider, cfg *oauth2.Config) {
		ctx := clientContext(p)
		p.QueueDenial()
		da, err := cfg.DeviceAuth(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_, err = cfg.DeviceAccessToken(ctx, da)
		wantRetrieveError(t, err, "access_denied", 400)
	})
}

// TestDeviceFlowPolling: by the provider's clock, a poll sooner than the
// interval is slow_down, which adds five seconds to it; an expired device
// code is expired_token; a redeemed one invalid_grant.
func TestDeviceFlowPolling(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(tvClient), oauthtest.WithLoginPage(), oauthtest.WithTime(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)))
	resp, body := postForm(t, p, p.Issuer()+oauthtest.DeviceAuthorizationPath, url.Values{"client_id": {"tv"}, "scope": {"openid"}}, "", "")
	if resp.StatusCode != 200 || body["expires_in"] != float64(600) {
		t.Fatalf("device authorization: HTTP %d %v", resp.StatusCode, body)
	}
	deviceCode, userCode := body["device_code"].(string), body["user_code"].(string)
	poll := func(after time.Duration, code string, status int) {
		t.Helper()
		p.FastForward(after)
		resp, body := postForm(t, p, p.TokenURL(), url.Values{"client_id": {"tv"}, "grant_type": {oauthtest.GrantDeviceCode}, "device_code": {deviceCode}}, "", "")
		if resp.StatusCode != status || (code != "" && body["error"] != code) {
			t.Fatalf("after %v: HTTP %d %v, want %d %s", after, resp.StatusCode, body, status, code)
		}
	}
	poll(0, "authorization_pending", 400)
	poll(time.Second, "slow_down", 400)
	poll(9*time.Second, "slow_down", 400) // the interval is now 10 seconds
	poll(15*time.Second, "authorization_pending", 400)
	if err := p.ApproveDevice(userCode); err != nil {
		t.Fatal(err)
	}
	poll(15*time.Second, "", 200)
	poll(15*time.Second, "invalid_grant", 400)

	resp, body = postForm(t, p, p.Issuer()+oauthtest.DeviceAuthorizationPath, url.Values{"client_id": {"tv"}}, "", "")
	deviceCode = body["device_code"].(string)
	poll(10*time.Minute, "expired_token", 400)
	if err := p.DenyDevice(body["user_code"].(string)); err == nil || !errors.Is(err, oauthtest.ErrExpiredToken) {
		t.Errorf("denying an expired device: %v", err)
	}
	_ = resp
}

// TestDeviceAuthorizationErrors: clients not allowed the device grant, and
// scopes they may not ask for.
func TestDeviceAuthorizationErrors(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(tvClient), oauthtest.WithClient(exactClient))
	resp, body := postForm(t, p, p.Issuer()+oauthtest.DeviceAuthorizationPath, url.Values{}, exactClient.ID, exactClient.Secret) // a configured client without the device grant
	wantJSONError(t, resp, body, "unauthorized_client", 400)
	if d, _ := body["error_description"].(string); !strings.Contains(d, "grant_types") || strings.Contains(d, "Client.") {
		t.Errorf("the refusal should name the config field grant_types, not a Go field: %q", d)
	}
	resp, body = postForm(t, p, p.Issuer()+oauthtest.DeviceAuthorizationPath, url.Values{"client_id": {"tv"}, "scope": {"admin"}}, "", "")
	wantJSONError(t, resp, body, "invalid_scope", 400)
	resp, body = postForm(t, p, p.Issuer()+oauthtest.DeviceAuthorizationPath, url.Values{"client_id": {"nobody"}}, "", "")
	wantJSONError(t, resp, body, "invalid_client", 401)
}

// TestDeviceVerificationPage: a person enters the code and picks a user.
func TestDeviceVerificationPage(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(tvClient), oauthtest.WithLoginPage(), oauthtest.WithUsers(alice))
	_, body := postForm(t, p, p.Issuer()+oauthtest.DeviceAuthorizationPath, url.Values{"client_id": {"tv"}}, "", "")
	page := func(resp *http.Response) string {
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	resp := visit(t, p, http.MethodGet, body["verification_uri_complete"].(string), nil)
	got := page(resp)
	if resp.StatusCode != 200 || !strings.Contains(got, `value="`+body["user_code"].(string)+`"`) || !strings.Contains(got, `value="alice"`) {
		t.Fatalf("HTTP %d\n%s", resp.StatusCode, got)
	}
	form, cookies := pageForm(t, resp, got)
	post := func(code string) (*http.Response, string) {
		f := url.Values{"user_code": {code}, "oauthtest_login": {"alice"}, "oauthtest_form": form["oauthtest_form"]}
		return send(t, p, http.MethodPost, p.Issuer()+"/oauth/device", f, cookies, sameOrigin(p))
	}
	if resp, got := post("nope"); resp.StatusCode != 400 || !strings.Contains(got, "was not issued") {
		t.Errorf("an unknown code: HTTP %d\n%s", resp.StatusCode, got)
	}
	if resp, got := post(body["user_code"].(string)); resp.StatusCode != 200 || !strings.Contains(got, "Device approved") {
		t.Errorf("HTTP %d\n%s", resp.StatusCode, got)
	}
	if ds := p.Devices(); ds[0].State != "approved" || ds[0].Subject != "alice" {
		t.Errorf("devices %+v", ds)
	}
}
