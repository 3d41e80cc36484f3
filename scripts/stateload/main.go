// Command stateload drives full OAuth code flows (authorize, token,
// refresh) against a running cmd/oauthtest from concurrent workers and
// prints the flows per second: the load of scripts/bench-state.sh.
//
//	go run ./scripts/stateload -issuer http://127.0.0.1:9090 -workers 8 -duration 5s
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	issuer := flag.String("issuer", "http://127.0.0.1:9090", "the provider's issuer `URL`")
	workers := flag.Int("workers", 8, "concurrent `workers`, each running one flow after another")
	duration := flag.Duration("duration", 5*time.Second, "how long to run")
	clientID := flag.String("client-id", "oauthtest-client", "the client's id")
	secret := flag.String("client-secret", "oauthtest-secret", "the client's secret")
	flag.Parse()
	f := &flows{issuer: *issuer, clientID: *clientID, secret: *secret, client: newClient(*workers)}
	if err := f.run(); err != nil { // one flow first: fail fast on a wrong setup
		fmt.Fprintln(os.Stderr, "stateload:", err)
		os.Exit(1)
	}
	n, err := f.load(*workers, *duration)
	if err != nil {
		fmt.Fprintln(os.Stderr, "stateload:", err)
		os.Exit(1)
	}
	fmt.Printf("%.0f flows/s (%d flows in %s, %d workers)\n", float64(n)/duration.Seconds(), n, *duration, *workers)
}

// newClient keeps a connection per worker and follows no redirect.
func newClient(workers int) *http.Client {
	return &http.Client{
		Transport:     &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
}

type flows struct {
	issuer, clientID, secret string
	client                   *http.Client
}

// load runs flows from each worker until d has passed and counts them.
func (f *flows) load(workers int, d time.Duration) (int64, error) {
	var n atomic.Int64
	var first error
	var once sync.Once
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				if err := f.run(); err != nil {
					once.Do(func() { first = err })
					return
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	return n.Load(), first
}

const redirectURI = "http://127.0.0.1:8080/callback"

// run is one flow: authorize, redeem the code, refresh once.
func (f *flows) run() error {
	q := url.Values{"response_type": {"code"}, "client_id": {f.clientID}, "redirect_uri": {redirectURI},
		"scope": {"openid offline_access"}, "state": {"s"}}
	resp, err := f.client.Get(f.issuer + "/oauth/authorize?" + q.Encode())
	if err != nil {
		return err
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		return fmt.Errorf("authorize: HTTP %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	tok, err := f.token(url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "redirect_uri": {redirectURI}})
	if err != nil {
		return fmt.Errorf("code: %w", err)
	}
	if _, err := f.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}); err != nil {
		return fmt.Errorf("refresh: %w", err)
	}
	return nil
}

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	Error        string `json:"error"`
	Description  string `json:"error_description"`
}

func (f *flows) token(form url.Values) (tokenResponse, error) {
	req, _ := http.NewRequest(http.MethodPost, f.issuer+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(f.clientID), url.QueryEscape(f.secret))
	resp, err := f.client.Do(req)
	if err != nil {
		return tokenResponse{}, err
	}
	defer resp.Body.Close()
	var t tokenResponse
	if err := json.NewDecoder(resp.Body).Decode(&t); err != nil {
		return t, err
	}
	if resp.StatusCode != http.StatusOK || t.RefreshToken == "" {
		return t, errors.New("HTTP " + resp.Status + ": " + t.Error + " " + t.Description)
	}
	return t, nil
}
