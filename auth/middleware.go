package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"

	"github.com/shopgraph/shopgraph/domain"
)

// Mode says where an Authenticator takes identities from.
type Mode string

// The modes of an Authenticator.
const (
	// ModeJWT trusts only bearer access tokens.
	ModeJWT Mode = "jwt"
	// ModeGateway also trusts the identity headers of a gateway in front of shopgraph
	// (HeaderUserEmail, HeaderUserRole), but only on requests whose direct peer is one of
	// the trusted proxies. Bearer tokens keep working.
	ModeGateway Mode = "gateway"
)

// The headers a trusted gateway sets in ModeGateway.
const (
	HeaderUserEmail = "X-User-Email"
	HeaderUserRole  = "X-User-Role"
)

// Messages of the gateway failures. Like the token messages, they are fixed.
const (
	msgGatewayIdentity = "invalid gateway identity"
	msgInternal        = "internal error"
)

// Authenticator finds out who makes a request. Its fields are set once, before the first
// request, and not changed afterwards.
type Authenticator struct {
	// Tokens verifies bearer tokens. When nil, every bearer token is refused.
	Tokens *Tokens
	// Mode is ModeJWT (the default, when empty) or ModeGateway.
	Mode Mode
	// TrustedProxies are the direct peers whose identity headers are believed in
	// ModeGateway. See ParseTrustedProxies.
	TrustedProxies []netip.Prefix
	// LookupEmail resolves the email a gateway vouches for to the account's identity. It
	// returns a NOT_FOUND (or UNAUTHENTICATED) *domain.Error for an unknown email; any
	// other error is an internal failure. Required in ModeGateway.
	LookupEmail func(ctx context.Context, email string) (domain.Identity, error)
	// Logger receives internal failures (such as LookupEmail's store being down); never a
	// token or a password. When nil, slog.Default() is used.
	Logger *slog.Logger
}

// ParseTrustedProxies parses a comma-separated list of CIDR prefixes ("10.0.0.0/8") and
// bare addresses ("192.0.2.7", a single host). Spaces and empty items are ignored; an
// empty list parses to nil, trusting no one. Prefixes are masked, and IPv4-mapped IPv6
// addresses are taken as IPv4.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if strings.Contains(item, "/") {
			p, err := netip.ParsePrefix(item)
			if err != nil {
				return nil, fmt.Errorf("parsing trusted proxy %q: %w", item, err)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil {
			return nil, fmt.Errorf("parsing trusted proxy %q: %w", item, err)
		}
		if a.Zone() != "" {
			return nil, fmt.Errorf("parsing trusted proxy %q: zones are not supported", item)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// Middleware authenticates each request before next sees it. A request with an
// identity reaches next with it in its context (domain.WithIdentity); a request without
// one reaches next as a guest. A request that claims an identity and cannot prove it (a
// malformed, expired or forged bearer token; gateway headers naming an unknown email or
// role) is refused with 401, a GraphQL-shaped JSON body with extensions.code
// UNAUTHENTICATED, and WWW-Authenticate: Bearer error="invalid_token". The gateway
// identity headers are removed from the request next sees, whoever sent them.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok, err := a.identify(r)
		if err != nil {
			a.refuse(w, r, err)
			return
		}
		ctx := r.Context()
		if ok {
			ctx = domain.WithIdentity(ctx, id)
		}
		r2 := r.WithContext(ctx)
		if r.Header.Get(HeaderUserEmail) != "" || r.Header.Get(HeaderUserRole) != "" {
			// WithContext shares the header map; copy it before editing.
			r2.Header = r.Header.Clone()
			r2.Header.Del(HeaderUserEmail)
			r2.Header.Del(HeaderUserRole)
		}
		next.ServeHTTP(w, r2)
	})
}

// IdentityFromAuthorization authenticates the value of an Authorization header carried
// outside HTTP headers, such as in a WebSocket connection-init payload. An empty value
// is a guest: (zero, false, nil). Otherwise the value must be "Bearer <token>" with a
// valid token; every failure is an UNAUTHENTICATED *domain.Error.
func (a *Authenticator) IdentityFromAuthorization(value string) (domain.Identity, bool, error) {
	if value == "" {
		return domain.Identity{}, false, nil
	}
	tok, ok := bearerToken(value)
	if !ok || a.Tokens == nil {
		return domain.Identity{}, false, invalidToken()
	}
	id, err := a.Tokens.Verify(tok)
	if err != nil {
		return domain.Identity{}, false, err
	}
	return id, true, nil
}

// identify returns the request's identity, ok false for a guest, or the reason it is
// refused.
func (a *Authenticator) identify(r *http.Request) (domain.Identity, bool, error) {
	if a.Mode == ModeGateway && a.trustedPeer(r.RemoteAddr) {
		email, role := r.Header.Get(HeaderUserEmail), r.Header.Get(HeaderUserRole)
		if email != "" || role != "" {
			return a.gatewayIdentity(r.Context(), email, role)
		}
	}
	values := r.Header.Values("Authorization")
	switch len(values) {
	case 0:
		return domain.Identity{}, false, nil
	case 1:
		if values[0] == "" {
			return domain.Identity{}, false, invalidToken()
		}
		return a.IdentityFromAuthorization(values[0])
	default:
		return domain.Identity{}, false, invalidToken()
	}
}

// gatewayIdentity resolves the identity a trusted gateway vouches for.
func (a *Authenticator) gatewayIdentity(ctx context.Context, email, role string) (domain.Identity, bool, error) {
	r := domain.Role(role)
	if email == "" || !r.Valid() || a.LookupEmail == nil {
		return domain.Identity{}, false, domain.Errorf(domain.CodeUnauthenticated, msgGatewayIdentity)
	}
	id, err := a.LookupEmail(ctx, domain.NormalizeEmail(email))
	if err != nil {
		switch domain.ErrorCode(err) {
		case domain.CodeNotFound, domain.CodeUnauthenticated:
			return domain.Identity{}, false, domain.Errorf(domain.CodeUnauthenticated, msgGatewayIdentity)
		}
		return domain.Identity{}, false, fmt.Errorf("looking up gateway user: %w", err)
	}
	if id.UserID <= 0 {
		return domain.Identity{}, false, domain.Errorf(domain.CodeUnauthenticated, msgGatewayIdentity)
	}
	// The gateway decides the role; the account supplies the id.
	id.Role = r
	return id, true, nil
}

// trustedPeer reports whether remoteAddr ("ip:port", or a bare ip) is inside one of the
// trusted proxies.
func (a *Authenticator) trustedPeer(remoteAddr string) bool {
	if len(a.TrustedProxies) == 0 {
		return false
	}
	var addr netip.Addr
	if ap, err := netip.ParseAddrPort(remoteAddr); err == nil {
		addr = ap.Addr()
	} else if ip, err := netip.ParseAddr(remoteAddr); err == nil {
		addr = ip
	} else {
		return false
	}
	addr = addr.Unmap().WithZone("")
	for _, p := range a.TrustedProxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// bearerToken returns the token of "Bearer <token>"; the scheme is case-insensitive.
func bearerToken(value string) (string, bool) {
	scheme, tok, found := strings.Cut(value, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	if tok == "" || strings.ContainsAny(tok, " \t") {
		return "", false
	}
	return tok, true
}

// errorBody is the GraphQL response shape of a refused request.
type errorBody struct {
	Errors []errorEntry `json:"errors"`
}

type errorEntry struct {
	Message    string         `json:"message"`
	Extensions errorExtension `json:"extensions"`
}

type errorExtension struct {
	Code      domain.Code `json:"code"`
	RequestID string      `json:"requestId,omitempty"`
}

// refuse writes err as a GraphQL error response: 401 for UNAUTHENTICATED, 500 with a
// generic message (and a log line) for anything else.
func (a *Authenticator) refuse(w http.ResponseWriter, r *http.Request, err error) {
	status, code, msg := http.StatusUnauthorized, domain.CodeUnauthenticated, ""
	var de *domain.Error
	if errors.As(err, &de) && de.Code == domain.CodeUnauthenticated {
		msg = de.Message
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	} else {
		status, code, msg = http.StatusInternalServerError, domain.CodeInternal, msgInternal
		a.logger().ErrorContext(r.Context(), "authenticating request", "err", err, "method", r.Method, "path", r.URL.Path)
	}
	body, _ := json.Marshal(errorBody{Errors: []errorEntry{{Message: msg, Extensions: errorExtension{Code: code, RequestID: domain.RequestIDFrom(r.Context())}}}})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (a *Authenticator) logger() *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.Default()
}
