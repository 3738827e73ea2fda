// Package gql is the bench's small GraphQL-over-HTTP client, for setting workloads up
// (signing in, creating carts, reading ids) rather than for load.
package gql

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Client posts GraphQL requests to URL (…/graphql), with Token as a Bearer token when set.
type Client struct {
	URL   string
	Token string
	HTTP  *http.Client
}

// New returns a client for the endpoint.
func New(url string) *Client {
	return &Client{URL: url, HTTP: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
}

// As returns a copy of c that sends token.
func (c *Client) As(token string) *Client {
	cc := *c
	cc.Token = token
	return &cc
}

// Body returns the JSON body of a request.
func Body(op, query string, vars map[string]any) []byte {
	m := map[string]any{"query": query}
	if op != "" {
		m["operationName"] = op
	}
	if vars != nil {
		m["variables"] = vars
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// Raw posts a body and returns the answer's bytes; a status other than 200 is an error.
func (c *Client) Raw(ctx context.Context, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return b, fmt.Errorf("status %d: %.300s", resp.StatusCode, b)
	}
	return b, nil
}

// Do runs a query and decodes its data into out (when not nil); GraphQL errors are an
// error. A RATE_LIMITED refusal is retried after the wait it names, for up to two minutes:
// setting a workload up must not fail because shopgraph rations its callers.
func (c *Client) Do(ctx context.Context, query string, vars map[string]any, out any) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		b, err := c.Raw(ctx, Body("", query, vars))
		if err != nil {
			return err
		}
		var r struct {
			Data   json.RawMessage
			Errors []struct {
				Message    string
				Extensions struct {
					Code       string
					RetryAfter int
				}
			}
		}
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("decoding %.200s: %w", b, err)
		}
		if len(r.Errors) > 0 {
			e := r.Errors[0]
			if e.Extensions.Code == "RATE_LIMITED" && time.Now().Before(deadline) {
				wait := time.Duration(max(1, e.Extensions.RetryAfter)) * time.Second
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(min(wait, 10*time.Second)):
				}
				continue
			}
			return fmt.Errorf("graphql: %s (%s)", e.Message, e.Extensions.Code)
		}
		if out != nil {
			return json.Unmarshal(r.Data, out)
		}
		return nil
	}
}

// UserErrors is the userErrors list of a mutation payload.
type UserErrors []struct {
	Field   []string
	Message string
	Code    string
}

// Err returns the first user error as an error, or nil.
func (u UserErrors) Err() error {
	if len(u) == 0 {
		return nil
	}
	return fmt.Errorf("%s: %s (%v)", u[0].Code, u[0].Message, u[0].Field)
}

// Login signs in and returns the access token.
func (c *Client) Login(ctx context.Context, email, password string) (string, error) {
	var out struct {
		Login struct {
			Token      *string
			UserErrors UserErrors
		}
	}
	err := c.Do(ctx, `mutation($in: LoginInput!) { login(input: $in) { token userErrors { field message code } } }`,
		map[string]any{"in": map[string]any{"email": email, "password": password}}, &out)
	if err != nil {
		return "", fmt.Errorf("login %s: %w", email, err)
	}
	if err := out.Login.UserErrors.Err(); err != nil {
		return "", fmt.Errorf("login %s: %w", email, err)
	}
	if out.Login.Token == nil {
		return "", fmt.Errorf("login %s: no token", email)
	}
	return *out.Login.Token, nil
}

// Register creates a customer account and returns its access token.
func (c *Client) Register(ctx context.Context, email, password, name string) (string, error) {
	var out struct {
		Register struct {
			Token      *string
			UserErrors UserErrors
		}
	}
	err := c.Do(ctx, `mutation($in: RegisterInput!) { register(input: $in) { token userErrors { field message code } } }`,
		map[string]any{"in": map[string]any{"email": email, "password": password, "name": name}}, &out)
	if err != nil {
		return "", fmt.Errorf("register %s: %w", email, err)
	}
	if err := out.Register.UserErrors.Err(); err != nil {
		return "", fmt.Errorf("register %s: %w", email, err)
	}
	return *out.Register.Token, nil
}

// CartCreate creates a cart with one line and returns its id.
func (c *Client) CartCreate(ctx context.Context, productID string, quantity int) (string, error) {
	var out struct {
		CartCreate struct {
			Cart       *struct{ ID string }
			UserErrors UserErrors
		}
	}
	err := c.Do(ctx, `mutation($l: [CartLineInput!]) { cartCreate(lines: $l) { cart { id } userErrors { field message code } } }`,
		map[string]any{"l": []any{map[string]any{"productId": productID, "quantity": quantity}}}, &out)
	if err != nil {
		return "", err
	}
	if err := out.CartCreate.UserErrors.Err(); err != nil {
		return "", err
	}
	return out.CartCreate.Cart.ID, nil
}

// Address is the shipping address the bench's checkouts use.
var Address = map[string]any{"name": "Bench Shopper", "line1": "1 Load Street", "city": "Pune", "postalCode": "411001", "country": "IN"}

// CheckoutMutation checks a cart out and returns the order's id, status and user errors.
const CheckoutMutation = `mutation Checkout($in: CheckoutInput!) { checkout(input: $in) { order { id status } userErrors { field message code } } }`

// CheckoutVars returns the variables of CheckoutMutation; email is for guests ("" when signed in).
func CheckoutVars(cartID, key, email string) map[string]any {
	in := map[string]any{"cartId": cartID, "paymentMethod": "CARD", "shippingAddress": Address, "idempotencyKey": key}
	if email != "" {
		in["email"] = email
	}
	return map[string]any{"in": in}
}

// CheckoutResult is the data of CheckoutMutation.
type CheckoutResult struct {
	Checkout struct {
		Order *struct {
			ID     string
			Status string
		}
		UserErrors UserErrors
	}
}

// InventoryAdjust adds delta units to a product's stock (admin).
func (c *Client) InventoryAdjust(ctx context.Context, productID string, delta int) error {
	var out struct {
		InventoryAdjust struct{ UserErrors UserErrors }
	}
	err := c.Do(ctx, `mutation($p: ID!, $d: Int!) { inventoryAdjust(productId: $p, delta: $d, reason: "bench restock") { userErrors { field message code } } }`,
		map[string]any{"p": productID, "d": delta}, &out)
	if err != nil {
		return err
	}
	return out.InventoryAdjust.UserErrors.Err()
}

// Product is what the bench reads of a product.
type Product struct {
	ID                string
	Slug              string
	Name              string
	AvailableQuantity int
}

// Products returns every live product, a page of 100 at a time.
func (c *Client) Products(ctx context.Context) ([]Product, error) {
	var all []Product
	var after *string
	for {
		var out struct {
			Products struct {
				Nodes    []Product
				PageInfo struct {
					HasNextPage bool
					EndCursor   *string
				}
			}
		}
		err := c.Do(ctx, `query($after: String) { products(first: 100, after: $after) { nodes { id slug name availableQuantity } pageInfo { hasNextPage endCursor } } }`,
			map[string]any{"after": after}, &out)
		if err != nil {
			return nil, err
		}
		all = append(all, out.Products.Nodes...)
		if !out.Products.PageInfo.HasNextPage {
			return all, nil
		}
		after = out.Products.PageInfo.EndCursor
	}
}
