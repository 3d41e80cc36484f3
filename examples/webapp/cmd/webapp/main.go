// Command webapp runs the example web app against an OpenID Connect
// provider, such as cmd/oauthtest in local development:
//
//	go run ./cmd/oauthtest -config examples/localdev/oauthtest.json
//	go run ./examples/webapp/cmd/webapp
//
// then open http://127.0.0.1:8080/login.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"

	"github.com/c95d6557/oauthtest/examples/webapp"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	issuer := flag.String("issuer", "http://127.0.0.1:9090", "the provider's issuer URL")
	clientID := flag.String("client-id", "webapp", "client ID")
	secret := flag.String("client-secret", "webapp-secret", "client secret")
	flag.Parse()
	app, err := webapp.New(context.Background(), webapp.Config{
		Issuer: *issuer, ClientID: *clientID, ClientSecret: *secret, RedirectURL: "http://" + *addr + "/callback",
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "webapp:", err)
		os.Exit(1)
	}
	log.Printf("webapp: open http://%s/login", *addr)
	log.Fatal(http.ListenAndServe(*addr, app.Handler()))
}
