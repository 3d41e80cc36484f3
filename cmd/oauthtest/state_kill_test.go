package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// answered is what the workers of TestStateSurvivesAKillUnderLoad were
// answered: the access tokens, and the refresh tokens no later request used.
type answered struct {
	mu      sync.Mutex
	access  []string
	refresh []string
	n       int
	reached chan struct{} // closed at the kill point
	at      int
}

func (a *answered) add(access, refresh string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.access = append(a.access, access)
	if refresh != "" {
		a.refresh = append(a.refresh, refresh)
	}
	if a.n++; a.n == a.at {
		close(a.reached)
	}
}

// TestStateSurvivesAKillUnderLoad: the command with -state is killed
// (SIGKILL) at a random point while 6 workers run code flows; restarted
// from the same file, it knows every access token and every final refresh
// token whose response a worker received.
func TestStateSurvivesAKillUnderLoad(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	state := filepath.Join(t.TempDir(), "state.jsonl")
	args := []string{"-addr", addr, "-state", state, "-alg", "EdDSA"}
	pr := startCommand(t, args...)
	a := &answered{reached: make(chan struct{}), at: 20 + rand.IntN(200)}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			for flow(c, pr.issuer, a) == nil {
			}
		})
	}
	<-a.reached
	_ = pr.cmd.Process.Kill() // responses keep arriving until the process is gone
	wg.Wait()
	_ = pr.cmd.Wait()
	<-pr.done

	again := startCommand(t, args...)
	a.mu.Lock()
	defer a.mu.Unlock()
	t.Logf("killed after %d answers; checking %d access and %d refresh tokens", a.n, len(a.access), len(a.refresh))
	for _, tok := range append(a.access, a.refresh...) {
		if active, err := introspect(c, again.issuer, tok); err != nil || !active {
			t.Errorf("a token answered before the kill is not active after the restart (%v): %s", err, tok)
		}
	}
	for _, rt := range a.refresh[:min(5, len(a.refresh))] {
		if _, err := tokenRequest(c, again.issuer, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}); err != nil {
			t.Errorf("refresh after the restart: %v", err)
		}
	}
}

// flow runs authorize, token and refresh, recording each token response
// received; the refresh token redeemed by the refresh is not recorded.
func flow(c *http.Client, issuer string, a *answered) error {
	q := url.Values{"response_type": {"code"}, "client_id": {oauthtestDefaultClient}, "redirect_uri": {"http://127.0.0.1:8080/cb"}, "scope": {"openid"}, "state": {"s"}}
	resp, err := c.Get(issuer + "/oauth/authorize?" + q.Encode())
	if err != nil {
		return err
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		return fmt.Errorf("authorize: %d", resp.StatusCode)
	}
	first, err := tokenRequest(c, issuer, url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "redirect_uri": {"http://127.0.0.1:8080/cb"}})
	if err != nil {
		return err
	}
	a.add(first["access_token"], "")
	second, err := tokenRequest(c, issuer, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first["refresh_token"]}})
	if err != nil {
		return err
	}
	a.add(second["access_token"], second["refresh_token"])
	return nil
}

// tokenRequest posts form to the token endpoint as the default client.
func tokenRequest(c *http.Client, issuer string, form url.Values) (map[string]string, error) {
	var out map[string]string
	err := post(c, issuer+"/oauth/token", form, func(m map[string]any) error {
		at, _ := m["access_token"].(string)
		rt, _ := m["refresh_token"].(string)
		if at == "" || rt == "" {
			return fmt.Errorf("token response %v", m)
		}
		out = map[string]string{"access_token": at, "refresh_token": rt}
		return nil
	})
	return out, err
}

// introspect reports whether the command knows tok as active.
func introspect(c *http.Client, issuer, tok string) (active bool, err error) {
	err = post(c, issuer+"/oauth/introspect", url.Values{"token": {tok}}, func(m map[string]any) error {
		active, _ = m["active"].(bool)
		return nil
	})
	return active, err
}

func post(c *http.Client, u string, form url.Values, read func(map[string]any) error) error {
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(oauthtestDefaultClient, oauthtestDefaultSecret)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d %v", u, resp.StatusCode, m)
	}
	return read(m)
}
