// Package localdev tests the walkthrough of its README: the example web app
// against the oauthtest command, configured by oauthtest.json. README.md
// says how to run the walkthrough by hand; its test runs from the
// repository's root with
//
//	go test ./examples/localdev
package localdev

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/c95d6557/oauthtest/examples/webapp"
)

func TestWalkthrough(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "oauthtest")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/c95d6557/oauthtest/cmd/oauthtest").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// The app listens on a free port; the config registers that port's callback.
	app := httptest.NewUnstartedServer(nil)
	t.Cleanup(app.Close)
	config, err := os.ReadFile("oauthtest.json")
	if err != nil {
		t.Fatal(err)
	}
	config = []byte(strings.NewReplacer("127.0.0.1:8080", app.Listener.Addr().String(), "127.0.0.1:9090", "127.0.0.1:0").Replace(string(config)))
	path := filepath.Join(t.TempDir(), "oauthtest.json")
	if err := os.WriteFile(path, config, 0o600); err != nil {
		t.Fatal(err)
	}
	issuer := startProvider(t, bin, "-config", path)

	w, err := webapp.New(context.Background(), webapp.Config{
		Issuer: issuer, ClientID: "webapp", ClientSecret: "webapp-secret",
		RedirectURL: "http://" + app.Listener.Addr().String() + "/callback",
	})
	if err != nil {
		t.Fatal(err)
	}
	app.Config.Handler = w.Handler()
	app.Start()

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	resp, err := browser.Get(app.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(page), "Hello, Alice Admin!") {
		t.Errorf("after login: %d %q", resp.StatusCode, page)
	}
}

// startProvider runs the command and returns its issuer; it is stopped with
// SIGTERM at cleanup and must exit cleanly.
func startProvider(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	issuer := ""
	for issuer == "" && sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "issuer:"); ok {
			issuer = strings.TrimSpace(v)
		}
	}
	drained := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, stdout); close(drained) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		<-drained
		if err := cmd.Wait(); err != nil {
			t.Errorf("oauthtest did not exit cleanly: %v\n%s", err, stderr.String())
		}
	})
	if issuer == "" {
		t.Fatalf("oauthtest printed no issuer; stderr: %s", stderr.String())
	}
	return issuer
}
