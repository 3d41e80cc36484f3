package oauthtest_test

import (
	"context"
	"fmt"

	"github.com/c95d6557/oauthtest"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Any user, typed on the login page as a person would: its subject, claims
// and authentication context reach the client's ID token, and the login
// page offers it again among its recent users.
func ExampleBrowser_LogInAs() {
	p, err := oauthtest.NewProvider(oauthtest.WithLoginPage())
	if err != nil {
		panic(err)
	}
	defer p.Close()
	cfg := oauth2.Config{
		ClientID: p.ClientID(), ClientSecret: p.ClientSecret(),
		Endpoint:    oauth2.Endpoint{AuthURL: p.AuthURL(), TokenURL: p.TokenURL()},
		RedirectURL: "http://127.0.0.1:8080/callback",
		Scopes:      []string{"openid"},
	}
	zoe := oauthtest.User{Subject: "zoe", Claims: map[string]any{"roles": []string{"admin"}}, ACR: "phr", AMR: []string{"hwk"}}
	cb, err := p.Browser().LogInAs(zoe).Visit(cfg.AuthCodeURL("st"))
	if err != nil {
		panic(err)
	}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, p.HTTPClient())
	tok, err := cfg.Exchange(ctx, cb.Code)
	if err != nil {
		panic(err)
	}
	op, err := oidc.NewProvider(ctx, p.Issuer())
	if err != nil {
		panic(err)
	}
	idt, err := op.Verifier(&oidc.Config{ClientID: cfg.ClientID}).Verify(ctx, tok.Extra("id_token").(string))
	if err != nil {
		panic(err)
	}
	var claims struct {
		ACR   string   `json:"acr"`
		AMR   []string `json:"amr"`
		Roles []string `json:"roles"`
	}
	_ = idt.Claims(&claims)
	fmt.Println(idt.Subject, claims.ACR, claims.AMR, claims.Roles)
	fmt.Println("recent:", p.Users().Recent[0].Subject)
	// Output:
	// zoe phr [hwk] [admin]
	// recent: zoe
}

// acr_values and the claims parameter (OIDC Core §3.1.2.1, §5.5) choose
// the login's acr among those the provider supports; an essential acr it
// cannot meet fails the authorization.
func ExampleWithACRValues() {
	p, err := oauthtest.NewProvider(oauthtest.WithACRValues("Level3", "Level4"))
	if err != nil {
		panic(err)
	}
	defer p.Close()
	cfg := oauth2.Config{
		ClientID: p.ClientID(), ClientSecret: p.ClientSecret(),
		Endpoint:    oauth2.Endpoint{AuthURL: p.AuthURL(), TokenURL: p.TokenURL()},
		RedirectURL: "http://127.0.0.1:8080/callback",
		Scopes:      []string{"openid"},
	}
	cb, _ := p.Browser().Visit(cfg.AuthCodeURL("st", oauth2.SetAuthURLParam("acr_values", "Level4 Level3")))
	fmt.Println(p.Codes()[0].Subject, p.Codes()[0].ACR, cb.Code != "")
	cb, _ = p.Browser().Visit(cfg.AuthCodeURL("st",
		oauth2.SetAuthURLParam("claims", `{"id_token":{"acr":{"essential":true,"values":["Level5"]}}}`)))
	fmt.Println(cb.Error)
	// Output:
	// test-user Level4 true
	// unmet_authentication_requirements
}
