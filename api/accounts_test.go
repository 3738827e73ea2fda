package api_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/shopgraph/shopgraph/app"
	"github.com/shopgraph/shopgraph/auth"
	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/store/redis"
)

type authPayload struct {
	Token        *string
	RefreshToken *string
	User         *struct{ ID, Email, Name, Role string }
	UserErrors   []struct {
		Field   []string
		Message string
		Code    string
	}
}

const registerMutation = `mutation($in: RegisterInput!) { register(input: $in) {
	token refreshToken user { id email name role } userErrors { field message code } } }`

const loginMutation = `mutation($in: LoginInput!) { login(input: $in) {
	token refreshToken user { id email name role } userErrors { field message code } } }`

const refreshMutation = `mutation($t: String!) { refreshToken(token: $t) {
	token refreshToken user { id email } userErrors { field message code } } }`

func (h *harness) register(email, password, name string) authPayload {
	h.t.Helper()
	var out struct{ Register authPayload }
	h.data(registerMutation, map[string]any{"in": map[string]any{"email": email, "password": password, "name": name}}, &out)
	return out.Register
}

func (h *harness) login(email, password string) authPayload {
	h.t.Helper()
	var out struct{ Login authPayload }
	h.data(loginMutation, map[string]any{"in": map[string]any{"email": email, "password": password}}, &out)
	return out.Login
}

// as returns a copy of the harness that sends token with every request.
func (h *harness) as(token string) *harness {
	c := *h
	c.token = token
	return &c
}

// createUser makes an account directly in the store and returns a signed-in harness.
func (h *harness) signedIn(role domain.Role) (*harness, string) {
	h.t.Helper()
	email := strings.ToLower(string(role)) + "-" + time.Now().Format("150405.000000000") + "@example.com"
	hash, err := auth.HashPassword("correct horse battery")
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.app.Accounts.Users.CreateUser(context.Background(), domain.NewUser{Email: email, Name: "Test " + string(role), Role: role}, hash, nil); err != nil {
		h.t.Fatal(err)
	}
	p := h.login(email, "correct horse battery")
	if p.Token == nil {
		h.t.Fatalf("login failed: %+v", p.UserErrors)
	}
	return h.as(*p.Token), email
}

func TestRegisterLoginMe(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	reg := h.register("  Shopper@Example.COM ", "hunter2hunter2", "Sam Shopper")
	if reg.Token == nil || reg.RefreshToken == nil || reg.User == nil || len(reg.UserErrors) != 0 {
		t.Fatalf("register: %+v", reg)
	}
	if reg.User.Email != "shopper@example.com" || reg.User.Role != "CUSTOMER" || reg.User.Name != "Sam Shopper" {
		t.Errorf("registered user: %+v", reg.User)
	}
	var me struct{ Me *struct{ ID, Email string } }
	h.as(*reg.Token).data(`{ me { id email } }`, nil, &me)
	if me.Me == nil || me.Me.ID != reg.User.ID {
		t.Errorf("me with the token: %+v", me.Me)
	}
	h.data(`{ me { id } }`, nil, &me)
	if me.Me != nil {
		t.Errorf("me as a guest: %+v", me.Me)
	}

	again := h.register("shopper@example.com", "another-password", "Sam Again")
	if again.Token != nil || len(again.UserErrors) != 1 || again.UserErrors[0].Code != "EMAIL_TAKEN" || strings.Join(again.UserErrors[0].Field, ".") != "input.email" {
		t.Errorf("registering a taken email: %+v", again)
	}

	in := h.login("SHOPPER@example.com", "hunter2hunter2")
	if in.Token == nil || in.User.ID != reg.User.ID {
		t.Errorf("login: %+v", in)
	}
	wrong := h.login("shopper@example.com", "wrong-password")
	unknown := h.login("nobody@example.com", "wrong-password")
	if wrong.Token != nil || unknown.Token != nil || len(wrong.UserErrors) != 1 || len(unknown.UserErrors) != 1 {
		t.Fatalf("bad logins: %+v %+v", wrong, unknown)
	}
	if fmt.Sprint(wrong.UserErrors[0]) != fmt.Sprint(unknown.UserErrors[0]) {
		t.Errorf("a wrong password and an unknown email answer differently: %+v vs %+v", wrong.UserErrors[0], unknown.UserErrors[0])
	}
}

func TestRegisterValidation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tests := []struct {
		name, email, password, who string
		field                      string
	}{
		{"invalid email", "not-an-email", "long-enough-pw", "Pat", "input.email"},
		{"email with a name", "Pat <pat@example.com>", "long-enough-pw", "Pat", "input.email"},
		{"short password", "pat@example.com", "short", "Pat", "input.password"},
		{"empty name", "pat@example.com", "long-enough-pw", "   ", "input.name"},
		{"name too long", "pat@example.com", "long-enough-pw", strings.Repeat("x", 101), "input.name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := h.register(tc.email, tc.password, tc.who)
			if p.Token != nil || len(p.UserErrors) == 0 {
				t.Fatalf("accepted: %+v", p)
			}
			if got := strings.Join(p.UserErrors[0].Field, "."); got != tc.field || p.UserErrors[0].Code != "BAD_USER_INPUT" {
				t.Errorf("field %q code %q, want %q BAD_USER_INPUT", got, p.UserErrors[0].Code, tc.field)
			}
		})
	}
	// Nothing was stored: the valid email can still register.
	if p := h.register("pat@example.com", "long-enough-pw", "Pat"); p.Token == nil {
		t.Errorf("valid registration after failures: %+v", p.UserErrors)
	}
}

func TestRefreshTokenRotationAndReuse(t *testing.T) {
	t.Parallel()
	refresh := func(h *harness, tok string) authPayload {
		var out struct{ RefreshToken authPayload }
		h.data(refreshMutation, map[string]any{"t": tok}, &out)
		return out.RefreshToken
	}
	// Within the grace: a grace no busy machine outlasts between two requests, so the
	// second exchange is always inside it.
	t.Run("within the grace", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, func(c *app.Config) { c.RefreshReuseGrace = time.Hour })
		reg := h.register("rotate@example.com", "rotate-me-please", "Rota")
		first := refresh(h, *reg.RefreshToken)
		if first.Token == nil || first.RefreshToken == nil || *first.RefreshToken == *reg.RefreshToken {
			t.Fatalf("rotation: %+v", first)
		}
		// A second tab refreshing with the same token stays signed in, with a token of
		// its own; both tokens go on working.
		tab := refresh(h, *reg.RefreshToken)
		if tab.Token == nil || tab.RefreshToken == nil || *tab.RefreshToken == *first.RefreshToken {
			t.Fatalf("the second tab's refresh within the grace: %+v", tab)
		}
		for name, tok := range map[string]string{"first": *first.RefreshToken, "second": *tab.RefreshToken} {
			if after := refresh(h, tok); after.Token == nil {
				t.Errorf("the %s tab's token: %+v", name, after)
			}
		}
	})
	// After the grace: only a wait longer than the grace, which a slow machine only
	// lengthens.
	t.Run("after the grace", func(t *testing.T) {
		t.Parallel()
		const grace = 50 * time.Millisecond
		h := newHarness(t, func(c *app.Config) { c.RefreshReuseGrace = grace })
		reg := h.register("replay@example.com", "rotate-me-please", "Rota")
		first := refresh(h, *reg.RefreshToken)
		if first.Token == nil || first.RefreshToken == nil {
			t.Fatalf("rotation: %+v", first)
		}
		time.Sleep(2 * grace) // lets the grace run out; not a wait for a condition
		// Replaying the rotated token now is theft: the whole family dies, the new token too.
		replay := refresh(h, *reg.RefreshToken)
		if replay.Token != nil || len(replay.UserErrors) != 1 || replay.UserErrors[0].Code != "INVALID_REFRESH_TOKEN" {
			t.Fatalf("replay: %+v", replay)
		}
		if after := refresh(h, *first.RefreshToken); after.Token != nil {
			t.Errorf("the family survived a replay: %+v", after)
		}
		if garbage := refresh(h, "garbage"); garbage.Token != nil || len(garbage.UserErrors) != 1 || garbage.UserErrors[0].Code != "INVALID_REFRESH_TOKEN" {
			t.Errorf("garbage refresh token: %+v", garbage)
		}
	})
}

func TestLogout(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	if r := h.post(`mutation { logout }`, nil); r.code() != "UNAUTHENTICATED" {
		t.Errorf("anonymous logout: %+v", r.Errors)
	}
	reg := h.register("leaver@example.com", "goodbye-goodbye", "Leaver")
	second := h.login("leaver@example.com", "goodbye-goodbye")
	var out struct{ Logout bool }
	h.as(*reg.Token).data(`mutation { logout }`, nil, &out)
	if !out.Logout {
		t.Fatal("logout returned false")
	}
	for _, tok := range []string{*reg.RefreshToken, *second.RefreshToken} {
		var r struct{ RefreshToken authPayload }
		h.data(refreshMutation, map[string]any{"t": tok}, &r)
		if r.RefreshToken.Token != nil {
			t.Errorf("a refresh token works after logout")
		}
	}
}

func TestBadAccessTokens(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	other, err := auth.NewTokens([]byte("some-other-secret-0123456789"), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	otherKey, _, _ := other.Issue(domain.Identity{UserID: 1, Email: "a@example.com", Role: domain.RoleAdmin})
	expired, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "1", "email": "a@example.com", "role": "ADMIN", "iss": "shopgraph", "aud": "shopgraph",
		"iat": time.Now().Add(-2 * time.Hour).Unix(), "exp": time.Now().Add(-time.Hour).Unix(),
	}).SignedString([]byte("test-secret-0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	none := b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + b64([]byte(`{"sub":"1","email":"a@example.com","role":"ADMIN","iss":"shopgraph","aud":"shopgraph","exp":9999999999,"iat":1}`)) + "."
	for name, tok := range map[string]string{"other key": otherKey, "expired": expired, "alg none": none, "garbage": "abc.def.ghi", "empty bearer": ""} {
		t.Run(name, func(t *testing.T) {
			r := h.do(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ me { id } }"}`), map[string]string{
				"Content-Type": "application/json", "Authorization": "Bearer " + tok})
			if r.status != http.StatusUnauthorized || r.code() != "UNAUTHENTICATED" || r.Data != nil {
				t.Errorf("status %d code %q data %s", r.status, r.code(), r.Data)
			}
		})
	}
}

func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *app.Config) {
		c.LoginPerAccount = redis.Limit{Rate: 0.001, Burst: 3}
		c.LoginPerAddress = redis.Limit{Rate: 0.001, Burst: 100}
	})
	h.register("limited@example.com", "the-right-password", "Lim")
	for i := range 3 {
		if p := h.login("limited@example.com", "wrong-password"); p.Token != nil || len(p.UserErrors) != 1 {
			t.Fatalf("attempt %d: %+v", i, p)
		}
	}
	r := h.post(loginMutation, map[string]any{"in": map[string]any{"email": "limited@example.com", "password": "the-right-password"}})
	if r.code() != "RATE_LIMITED" {
		t.Fatalf("fourth attempt: %+v", r.Errors)
	}
	// Another account from the same address is still welcome.
	if p := h.login("someone-else@example.com", "whatever-pw"); len(p.UserErrors) != 1 || p.UserErrors[0].Code != "INVALID_CREDENTIALS" {
		t.Errorf("another account was limited too: %+v", p)
	}

	byAddr := newHarness(t, func(c *app.Config) {
		c.LoginPerAccount = redis.Limit{Rate: 0.001, Burst: 100}
		c.LoginPerAddress = redis.Limit{Rate: 0.001, Burst: 2}
	})
	byAddr.login("a@example.com", "whatever-pw")
	byAddr.login("b@example.com", "whatever-pw")
	if r := byAddr.post(loginMutation, map[string]any{"in": map[string]any{"email": "c@example.com", "password": "x"}}); r.code() != "RATE_LIMITED" {
		t.Errorf("third account from one address: %+v", r.Errors)
	}
}
