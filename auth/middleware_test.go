package auth

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/shopgraph/shopgraph/domain"
)

const unauthenticatedBody = `{"errors":[{"message":"invalid or expired token","extensions":{"code":"UNAUTHENTICATED"}}]}`

var bob = domain.Identity{UserID: 77, Email: "bob@example.com", Role: domain.RoleCustomer}

// newAuthenticator returns an Authenticator in mode trusting 10.0.0.0/8 and ::1, whose
// LookupEmail knows only bob, and fails internally for "down@example.com".
func newAuthenticator(t *testing.T, mode Mode) *Authenticator {
	t.Helper()
	proxies, err := ParseTrustedProxies("10.0.0.0/8, ::1")
	if err != nil {
		t.Fatal(err)
	}
	return &Authenticator{
		Tokens:         newTokens(t, time.Minute, nil),
		Mode:           mode,
		TrustedProxies: proxies,
		LookupEmail: func(_ context.Context, email string) (domain.Identity, error) {
			switch email {
			case bob.Email:
				return bob, nil
			case "down@example.com":
				return domain.Identity{}, errors.New("dial tcp 127.0.0.1:5432: connection refused")
			}
			return domain.Identity{}, domain.Errorf(domain.CodeNotFound, "no such user")
		},
		Logger: discardLogger(),
	}
}

// discardLogger returns a logger that drops everything, for tests that provoke errors.
func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// result is what the handler behind the middleware saw, and what the client got.
type result struct {
	called    bool
	id        domain.Identity
	signedIn  bool
	sawHeader bool
	rec       *httptest.ResponseRecorder
}

// serve runs r through a's middleware.
func serve(t *testing.T, a *Authenticator, r *http.Request) result {
	t.Helper()
	var res result
	h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res.called = true
		res.id, res.signedIn = domain.IdentityFrom(r.Context())
		res.sawHeader = r.Header.Get(HeaderUserEmail) != "" || r.Header.Get(HeaderUserRole) != ""
		w.WriteHeader(http.StatusNoContent)
	}))
	res.rec = httptest.NewRecorder()
	h.ServeHTTP(res.rec, r)
	return res
}

func TestMiddleware(t *testing.T) {
	a := newAuthenticator(t, ModeGateway)
	aliceToken := issue(t, a.Tokens, alice)
	expired := func() string {
		past := time.Now().Add(-time.Hour)
		tk := newTokens(t, time.Minute, &past)
		return issue(t, tk, alice)
	}()

	type header = [2]string
	tests := []struct {
		name       string
		mode       Mode
		remote     string
		headers    []header
		wantStatus int
		wantID     *domain.Identity // nil: guest
		wantBody   string           // checked when set
	}{
		{name: "no header is a guest", remote: "192.0.2.1:1234", wantStatus: 204},
		{name: "good token", remote: "192.0.2.1:1234", headers: []header{{"Authorization", "Bearer " + aliceToken}}, wantStatus: 204, wantID: &alice},
		{name: "lower-case scheme", remote: "192.0.2.1:1234", headers: []header{{"Authorization", "bearer " + aliceToken}}, wantStatus: 204, wantID: &alice},
		{name: "bad token", remote: "192.0.2.1:1234", headers: []header{{"Authorization", "Bearer nope.nope.nope"}}, wantStatus: 401, wantBody: unauthenticatedBody},
		{name: "expired token", remote: "192.0.2.1:1234", headers: []header{{"Authorization", "Bearer " + expired}}, wantStatus: 401,
			wantBody: `{"errors":[{"message":"token expired","extensions":{"code":"UNAUTHENTICATED"}}]}`},
		{name: "alg none", remote: "192.0.2.1:1234", headers: []header{{"Authorization", "Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + strings.Split(aliceToken, ".")[1] + "."}}, wantStatus: 401, wantBody: unauthenticatedBody},
		{name: "basic scheme", remote: "192.0.2.1:1234", headers: []header{{"Authorization", "Basic YWxpY2U6c2VjcmV0"}}, wantStatus: 401, wantBody: unauthenticatedBody},
		{name: "bearer without token", remote: "192.0.2.1:1234", headers: []header{{"Authorization", "Bearer "}}, wantStatus: 401, wantBody: unauthenticatedBody},
		{name: "token without scheme", remote: "192.0.2.1:1234", headers: []header{{"Authorization", aliceToken}}, wantStatus: 401, wantBody: unauthenticatedBody},
		{name: "empty header", remote: "192.0.2.1:1234", headers: []header{{"Authorization", ""}}, wantStatus: 401, wantBody: unauthenticatedBody},
		{name: "two headers", remote: "192.0.2.1:1234", headers: []header{{"Authorization", "Bearer " + aliceToken}, {"Authorization", "Bearer " + aliceToken}}, wantStatus: 401, wantBody: unauthenticatedBody},

		{name: "gateway headers from trusted peer", remote: "10.1.2.3:5555",
			headers: []header{{HeaderUserEmail, "Bob@Example.com"}, {HeaderUserRole, "CUSTOMER"}}, wantStatus: 204, wantID: &bob},
		{name: "gateway role is the header's", remote: "10.1.2.3:5555",
			headers: []header{{HeaderUserEmail, bob.Email}, {HeaderUserRole, "ADMIN"}}, wantStatus: 204,
			wantID: &domain.Identity{UserID: bob.UserID, Email: bob.Email, Role: domain.RoleAdmin}},
		{name: "gateway headers from trusted IPv6 peer", remote: "[::1]:5555",
			headers: []header{{HeaderUserEmail, bob.Email}, {HeaderUserRole, "CUSTOMER"}}, wantStatus: 204, wantID: &bob},
		{name: "gateway headers from IPv4-mapped trusted peer", remote: "[::ffff:10.9.9.9]:5555",
			headers: []header{{HeaderUserEmail, bob.Email}, {HeaderUserRole, "CUSTOMER"}}, wantStatus: 204, wantID: &bob},
		{name: "gateway headers win over a token", remote: "10.1.2.3:5555",
			headers: []header{{HeaderUserEmail, bob.Email}, {HeaderUserRole, "CUSTOMER"}, {"Authorization", "Bearer " + aliceToken}}, wantStatus: 204, wantID: &bob},
		{name: "trusted peer without gateway headers uses the token", remote: "10.1.2.3:5555",
			headers: []header{{"Authorization", "Bearer " + aliceToken}}, wantStatus: 204, wantID: &alice},
		{name: "gateway headers from untrusted peer are ignored", remote: "192.0.2.1:1234",
			headers: []header{{HeaderUserEmail, bob.Email}, {HeaderUserRole, "ADMIN"}}, wantStatus: 204},
		{name: "gateway headers from untrusted peer with token", remote: "192.0.2.1:1234",
			headers: []header{{HeaderUserEmail, bob.Email}, {HeaderUserRole, "ADMIN"}, {"Authorization", "Bearer " + aliceToken}}, wantStatus: 204, wantID: &alice},
		{name: "gateway headers ignored in jwt mode", mode: ModeJWT, remote: "10.1.2.3:5555",
			headers: []header{{HeaderUserEmail, bob.Email}, {HeaderUserRole, "ADMIN"}}, wantStatus: 204},
		{name: "unknown gateway email", remote: "10.1.2.3:5555",
			headers: []header{{HeaderUserEmail, "mallory@example.com"}, {HeaderUserRole, "CUSTOMER"}}, wantStatus: 401,
			wantBody: `{"errors":[{"message":"invalid gateway identity","extensions":{"code":"UNAUTHENTICATED"}}]}`},
		{name: "invalid gateway role", remote: "10.1.2.3:5555",
			headers: []header{{HeaderUserEmail, bob.Email}, {HeaderUserRole, "ROOT"}}, wantStatus: 401},
		{name: "lower-case gateway role", remote: "10.1.2.3:5555",
			headers: []header{{HeaderUserEmail, bob.Email}, {HeaderUserRole, "customer"}}, wantStatus: 401},
		{name: "gateway role without email", remote: "10.1.2.3:5555",
			headers: []header{{HeaderUserRole, "ADMIN"}}, wantStatus: 401},
		{name: "gateway email without role", remote: "10.1.2.3:5555",
			headers: []header{{HeaderUserEmail, bob.Email}}, wantStatus: 401},
		{name: "gateway lookup fails", remote: "10.1.2.3:5555",
			headers: []header{{HeaderUserEmail, "down@example.com"}, {HeaderUserRole, "CUSTOMER"}}, wantStatus: 500,
			wantBody: `{"errors":[{"message":"internal error","extensions":{"code":"INTERNAL"}}]}`},
		{name: "unparsable remote address is untrusted", remote: "pipe",
			headers: []header{{HeaderUserEmail, bob.Email}, {HeaderUserRole, "ADMIN"}}, wantStatus: 204},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := *a
			if tc.mode != "" {
				a.Mode = tc.mode
			}
			r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ me { id } }"}`))
			r.RemoteAddr = tc.remote
			for _, h := range tc.headers {
				r.Header.Add(h[0], h[1])
			}
			res := serve(t, &a, r)

			if res.rec.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", res.rec.Code, tc.wantStatus, res.rec.Body)
			}
			if tc.wantStatus != http.StatusNoContent {
				if res.called {
					t.Fatal("the handler ran for a refused request")
				}
				if ct := res.rec.Header().Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type = %q, want application/json", ct)
				}
				if tc.wantStatus == http.StatusUnauthorized {
					if got := res.rec.Header().Get("WWW-Authenticate"); got != `Bearer error="invalid_token"` {
						t.Errorf("WWW-Authenticate = %q", got)
					}
				}
				if tc.wantBody != "" && res.rec.Body.String() != tc.wantBody {
					t.Errorf("body = %s\nwant   %s", res.rec.Body, tc.wantBody)
				}
				for _, h := range tc.headers {
					if v := strings.TrimPrefix(h[1], "Bearer "); len(v) > 8 && strings.Contains(res.rec.Body.String(), v) {
						t.Errorf("body echoes a header value: %s", res.rec.Body)
					}
				}
				return
			}
			if !res.called {
				t.Fatal("the handler did not run")
			}
			if res.sawHeader {
				t.Error("the handler saw gateway identity headers")
			}
			switch {
			case tc.wantID == nil && res.signedIn:
				t.Errorf("identity = %+v, want a guest", res.id)
			case tc.wantID != nil && !res.signedIn:
				t.Errorf("guest, want identity %+v", *tc.wantID)
			case tc.wantID != nil && res.id != *tc.wantID:
				t.Errorf("identity = %+v, want %+v", res.id, *tc.wantID)
			}
		})
	}
}

func TestMiddlewareDoesNotEditTheCallersHeaders(t *testing.T) {
	a := newAuthenticator(t, ModeGateway)
	r := httptest.NewRequest(http.MethodGet, "/graphql", nil)
	r.RemoteAddr = "192.0.2.1:1234"
	r.Header.Set(HeaderUserEmail, bob.Email)
	serve(t, a, r)
	if r.Header.Get(HeaderUserEmail) != bob.Email {
		t.Fatal("the middleware edited the incoming request's headers")
	}
}

func TestMiddlewareWithoutTokens(t *testing.T) {
	a := &Authenticator{Mode: ModeJWT}
	r := httptest.NewRequest(http.MethodGet, "/graphql", nil)
	r.Header.Set("Authorization", "Bearer "+issue(t, newTokens(t, time.Minute, nil), alice))
	if res := serve(t, a, r); res.rec.Code != http.StatusUnauthorized {
		t.Fatalf("status = %d, want 401", res.rec.Code)
	}
}

func TestIdentityFromAuthorization(t *testing.T) {
	a := newAuthenticator(t, ModeJWT)
	tok := issue(t, a.Tokens, alice)

	id, ok, err := a.IdentityFromAuthorization("")
	if err != nil || ok || id != (domain.Identity{}) {
		t.Fatalf(`IdentityFromAuthorization("") = %+v, %v, %v; want a guest`, id, ok, err)
	}
	id, ok, err = a.IdentityFromAuthorization("Bearer " + tok)
	if err != nil || !ok || id != alice {
		t.Fatalf("IdentityFromAuthorization(good) = %+v, %v, %v; want %+v", id, ok, err, alice)
	}
	for _, v := range []string{"Bearer", "Bearer ", tok, "Basic " + tok, "Bearer " + tok + "x", "Bearer a b"} {
		id, ok, err := a.IdentityFromAuthorization(v)
		requireUnauthenticated(t, err, tok)
		if ok || id != (domain.Identity{}) {
			t.Errorf("IdentityFromAuthorization(%q) = %+v, %v with an error", v, id, ok)
		}
	}
}

func TestParseTrustedProxies(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{in: "", want: nil},
		{in: " , ", want: nil},
		{in: "10.0.0.0/8", want: []string{"10.0.0.0/8"}},
		{in: "10.1.2.3/8", want: []string{"10.0.0.0/8"}},
		{in: "192.0.2.7", want: []string{"192.0.2.7/32"}},
		{in: "::1", want: []string{"::1/128"}},
		{in: "::ffff:192.0.2.7", want: []string{"192.0.2.7/32"}},
		{in: "10.0.0.0/8, 172.16.0.0/12 ,fd00::/8,127.0.0.1", want: []string{"10.0.0.0/8", "172.16.0.0/12", "fd00::/8", "127.0.0.1/32"}},
		{in: "10.0.0.0/33", wantErr: true},
		{in: "not-an-ip", wantErr: true},
		{in: "10.0.0.1:80", wantErr: true},
		{in: "fe80::1%eth0", wantErr: true},
		{in: "10.0.0.0/8,,bogus", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseTrustedProxies(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("ParseTrustedProxies(%q) = %v, want an error", tc.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseTrustedProxies(%q): %v", tc.in, err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("ParseTrustedProxies(%q) = %v, want %v", tc.in, got, tc.want)
			}
			for i, w := range tc.want {
				if got[i] != netip.MustParsePrefix(w) {
					t.Errorf("prefix %d = %s, want %s", i, got[i], w)
				}
			}
		})
	}
}
