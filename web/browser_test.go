package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/shopgraph/shopgraph/app"
	"github.com/shopgraph/shopgraph/auth"
	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/events"
	"github.com/shopgraph/shopgraph/store/redis"
	"github.com/shopgraph/shopgraph/testkit"
)

// chromiumPath finds Debian's chromium. Without it the browser tests are skipped, unless
// SHOPGRAPH_BROWSER_TESTS=require (make test sets it, after installing chromium).
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("SHOPGRAPH_BROWSER_TESTS") == "require" {
		t.Fatal("chromium is not installed: run scripts/services.sh chromium")
	}
	t.Skip("chromium is not installed (scripts/services.sh chromium installs it)")
	return ""
}

// browser is a headless chromium with one tab per actor, each in a browser context of
// its own (its own storage and cookies), as two people on two machines.
type browser struct {
	t    *testing.T
	tabs map[string]context.Context
	// shots is where a failing step leaves a screenshot of every tab.
	shots string
}

func newBrowser(t *testing.T, actors ...string) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	root, cancelRoot := chromedp.NewContext(alloc)
	if err := chromedp.Do(root); err != nil { // starts the browser
		cancelRoot()
		cancelAlloc()
		t.Fatalf("starting chromium: %v", err)
	}
	dir := os.Getenv("SHOPGRAPH_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "shopgraph-browser-failures")
	}
	b := &browser{t: t, tabs: map[string]context.Context{}, shots: filepath.Join(dir, t.Name())}
	var cancels []context.CancelFunc
	for _, a := range actors {
		ctx, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
		if err := chromedp.Do(ctx); err != nil {
			t.Fatalf("opening a tab for %s: %v", a, err)
		}
		b.tabs[a] = ctx
		cancels = append(cancels, cancel)
	}
	t.Cleanup(func() {
		for _, c := range cancels {
			c()
		}
		cancelRoot()
		cancelAlloc()
	})
	return b
}

// do runs a step's actions in an actor's tab, waiting at most 20 s; on failure it saves
// a screenshot of every tab and fails the test.
func (b *browser) do(actor, step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.tabs[actor], 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fail(fmt.Sprintf("%s: %s", actor, step), err)
	}
}

// text returns the text of the first element the CSS selector matches.
func (b *browser) text(actor, step, sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.tabs[actor], 20*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
	if err != nil {
		b.fail(fmt.Sprintf("%s: %s", actor, step), err)
	}
	return strings.TrimSpace(s)
}

func (b *browser) fail(step string, err error) {
	b.t.Helper()
	_ = os.MkdirAll(b.shots, 0o755)
	slug := regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(step), "-")
	for actor, tab := range b.tabs {
		ctx, cancel := context.WithTimeout(tab, 5*time.Second)
		png, serr := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		cancel()
		if serr == nil {
			_ = os.WriteFile(filepath.Join(b.shots, slug+"--"+actor+".png"), png, 0o644)
		}
	}
	b.t.Fatalf("%s: %v (screenshots of every tab in %s)", step, err, b.shots)
}

// waitJS waits until a JavaScript expression is truthy, evaluating it again on every
// change of the page.
func waitJS(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingMutation(), chromedp.WithPollingTimeout(0))
}

func css(s string) chromedp.CSS { return chromedp.CSS(s) }

// shop is a whole shopgraph over stores of the test's own: PostgreSQL, Redis, NATS
// (relay, hub, ingester) and ClickHouse, behind a TCP proxy that the test can take down
// to cut the buyer's connections.
type shop struct {
	srv   *httptest.Server
	proxy *testkit.TCPProxy
	// blockWebSockets makes the buyer's side refuse WebSocket upgrades, as some
	// proxies and firewalls do.
	blockWebSockets atomic.Bool
	// byHash and byText count the queries and mutations that came as a persisted hash
	// alone and those that carried their text.
	byHash, byText atomic.Int64
}

// count records how a query or mutation came (subscriptions carry their text).
func (s *shop) count(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/graphql" && r.Header.Get("Upgrade") == "" && !strings.Contains(r.Header.Get("Accept"), "text/event-stream") &&
			(r.Method == http.MethodGet || r.Method == http.MethodPost) {
			var p struct {
				Query      string
				Extensions map[string]any
			}
			if r.Method == http.MethodGet {
				p.Query = r.URL.Query().Get("query")
				_ = json.Unmarshal([]byte(r.URL.Query().Get("extensions")), &p.Extensions)
			} else {
				body, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(body))
				_ = json.Unmarshal(body, &p)
			}
			switch {
			case p.Query != "":
				s.byText.Add(1)
			case p.Extensions["persistedQuery"] != nil:
				s.byHash.Add(1)
			}
		}
		next.ServeHTTP(w, r)
	})
}

func startShop(t *testing.T) *shop {
	t.Helper()
	natsURL, subjects, stream := testkit.NATS(t)
	db, _ := testkit.Postgres(t)
	ch := testkit.ClickHouse(t)
	log := testkit.Logger(t)
	bus, err := events.Connect(events.Config{URL: natsURL, Name: t.Name()}, log)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(app.Config{
		JWTSecret:         []byte("browser-test-secret-0123456789"),
		Subjects:          subjects,
		StreamName:        stream,
		Ingest:            true,
		DashboardCacheTTL: time.Millisecond,
		CostPerCaller:     redis.Limit{Rate: 1e6, Burst: 1e9},
		CheckoutPerCaller: redis.Limit{Rate: 1e6, Burst: 1e6},
		LoginPerAccount:   redis.Limit{Rate: 1e6, Burst: 1e6},
		LoginPerAddress:   redis.Limit{Rate: 1e6, Burst: 1e6},
	}, app.Deps{Postgres: db, Redis: testkit.Redis(t), Bus: bus, ClickHouse: ch, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	wait := a.Start(ctx)
	sh := &shop{}
	srv := httptest.NewServer(sh.count(a.Handler))
	sh.srv = srv
	t.Cleanup(func() {
		srv.Close()
		cancel()
		wait()
		_ = bus.Close()
	})
	hash, err := auth.HashPassword(adminPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Accounts.Users.CreateUser(context.Background(), domain.NewUser{Email: adminEmail, Name: "Ada Admin", Role: domain.RoleAdmin}, hash, nil); err != nil {
		t.Fatal(err)
	}
	buyerSide := httptest.NewServer(sh.count(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sh.blockWebSockets.Load() && r.Header.Get("Upgrade") != "" {
			http.Error(w, "WebSockets are blocked here", http.StatusForbidden)
			return
		}
		a.Handler.ServeHTTP(w, r)
	})))
	t.Cleanup(buyerSide.Close)
	sh.proxy = testkit.StartTCPProxy(t, buyerSide.Listener.Addr().String())
	return sh
}

const (
	adminEmail    = "ada@shop.example"
	adminPassword = "admin password 1"
)

// gql runs an operation against the server directly, for the test's own set-up.
func (s *shop) gql(t *testing.T, token, query string, vars map[string]any, out any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, s.srv.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []any           `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || len(r.Errors) > 0 {
		t.Fatalf("%s: %v %v", query, err, r.Errors)
	}
	if err := json.Unmarshal(r.Data, out); err != nil {
		t.Fatal(err)
	}
}

// TestBuyerAndAdmin is the clients' whole story in a real browser: a buyer finds a
// product (narrowing the search by its brand facet), picks a size and colour, puts that
// variant in the cart, signs up, pays, and watches the order page while an admin
// in another browser context ships the order, with the buyer's connection cut meanwhile
// (the page resumes after the last step it saw: nothing lost, nothing twice); the buyer
// then follows the delivery over Server-Sent Events with WebSockets blocked; the admin
// sees the sale on the dashboard; the buyer reviews the product, and the admin hides the
// review and restocks a sold-out variant.
func TestBuyerAndAdmin(t *testing.T) {
	s := startShop(t)
	b := newBrowser(t, "buyer", "admin")
	shopURL := "http://" + s.proxy.Addr() // the buyer comes through the proxy
	adminURL := s.srv.URL

	// A product of the test's own, found by a word nothing else has, in sizes and
	// colours (M / Sand sold out), of a brand of its own, with a picture.
	var login struct{ Login struct{ Token string } }
	s.gql(t, "", `mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { token } }`,
		map[string]any{"e": adminEmail, "p": adminPassword}, &login)
	var cats struct{ Categories []struct{ ID string } }
	s.gql(t, "", `{ categories { id } }`, nil, &cats)
	word := fmt.Sprintf("zephyrine%d", time.Now().UnixNano()%100000)
	name := "Jacket " + word
	var brand struct {
		BrandCreate struct{ Brand struct{ ID, Slug string } }
	}
	s.gql(t, login.Login.Token, `mutation($n: String!) { brandCreate(input: {name: $n}) { brand { id slug } } }`,
		map[string]any{"n": "Brand " + word}, &brand)
	variant := func(size, colour, price string, compareAt any, stock int) map[string]any {
		return map[string]any{"selectedOptions": []map[string]string{{"name": "Size", "value": size}, {"name": "Colour", "value": colour}},
			"price": price, "compareAtPrice": compareAt, "stock": stock}
	}
	var created struct {
		ProductCreate struct {
			Product    struct{ ID, Slug string }
			UserErrors []any
		}
	}
	s.gql(t, login.Login.Token, `mutation($in: ProductCreateInput!) { productCreate(input: $in) { product { id slug } userErrors { message } } }`,
		map[string]any{"in": map[string]any{
			"name": name, "description": "A jacket for the browser test.", "price": "42.50", "categoryId": cats.Categories[0].ID,
			"brandId": brand.BrandCreate.Brand.ID, "media": []map[string]any{{"width": 800, "height": 600, "altText": "The jacket"}},
			"variants": []map[string]any{
				variant("S", "Navy", "42.50", nil, 5), variant("M", "Navy", "44.00", "50.00", 5), variant("M", "Sand", "44.00", nil, 0),
			},
		}}, &created)
	slug := created.ProductCreate.Product.Slug
	if slug == "" || brand.BrandCreate.Brand.Slug == "" {
		t.Fatalf("productCreate: %+v, brandCreate: %+v", created, brand)
	}
	setUp := s.byText.Load()

	b.do("buyer", "home", chromedp.Navigate(shopURL+"/"), chromedp.WaitVisible(css(`ul[aria-label="Categories"] li a`)))
	card := fmt.Sprintf(`li[data-product=%q]`, slug)
	brandBox := fmt.Sprintf(`fieldset[data-facet="brand"] input[data-facet-value=%q]`, brand.BrandCreate.Brand.Slug)
	b.do("buyer", "search",
		chromedp.SendKeys(css("#search-q"), word),
		chromedp.Click(css(`form[role="search"] button`)),
		chromedp.WaitVisible(css(card+` img.card-img`)),
		chromedp.WaitVisible(css(brandBox)), // the brand facet, counting the one product
		waitJS(fmt.Sprintf(`document.querySelector(%q)?.closest('li').querySelector('.count').textContent === '1'`, brandBox)),
	)
	b.do("buyer", "brand filter",
		chromedp.Click(css(brandBox)),
		waitJS(fmt.Sprintf(`new URLSearchParams(location.search).get('brand') === %q && document.querySelector(%q)?.checked`, brand.BrandCreate.Brand.Slug, brandBox)),
		chromedp.WaitVisible(css(card+` a`)),
		chromedp.Click(css(card+` a`)),
	)
	option := func(name, value string) chromedp.CSS {
		return css(fmt.Sprintf(`fieldset[data-option=%q] label:has(input[data-option-value=%q])`, name, value))
	}
	buybox := `section[aria-label="Buy"]`
	b.do("buyer", "product page",
		chromedp.WaitVisible(css(`section[aria-label="Images"] img.main`)),
		chromedp.WaitVisible(css(buybox+`[data-variant-title="S / Navy"] button[type="submit"]`)), // the first variant in stock
		chromedp.Click(option("Size", "M")),
		chromedp.WaitVisible(css(buybox+`[data-variant-title="M / Navy"] [data-compare-at="50.00"]`)),
		chromedp.Click(option("Colour", "Sand")),
		chromedp.WaitVisible(css(buybox+`[data-variant-title="M / Sand"] .stock-out`)), // sold out: nothing to add
		chromedp.Click(option("Colour", "Navy")),
		chromedp.WaitVisible(css(buybox+`[data-variant-title="M / Navy"] button[type="submit"]`)),
		chromedp.Click(css(buybox+` button[type="submit"]`)),
		chromedp.WaitVisible(css(`a[data-cart-count="1"]`)),
	)
	b.do("buyer", "cart",
		chromedp.Click(css(`a[href="/cart"]`)),
		chromedp.WaitVisible(css(fmt.Sprintf(`tr[data-line=%q][data-variant-title="M / Navy"] img`, slug))),
		waitJS(`document.querySelector('[data-subtotal]')?.textContent.includes('44.00')`),
		chromedp.Click(css(`a[href="/checkout"]`)),
	)
	// Checking out needs an account: the sign-in page offers to create one.
	b.do("buyer", "sign up",
		chromedp.WaitVisible(css(`main a[href^="/signup"]`)),
		chromedp.Click(css(`main a[href^="/signup"]`)),
		chromedp.WaitVisible(css("#f-name")),
		chromedp.SendKeys(css("#f-name"), "Bea Buyer"),
		chromedp.SendKeys(css("#f-email"), "bea-"+word+"@example.com"),
		chromedp.SendKeys(css("#f-password"), "short"),
		chromedp.Click(css(`main form button[type="submit"]`)),
		chromedp.WaitVisible(css(`[data-field-error="password"]`)), // shown next to its field
		chromedp.SendKeys(css("#f-password"), " but now long enough"),
		chromedp.Click(css(`main form button[type="submit"]`)),
	)
	b.do("buyer", "checkout",
		chromedp.WaitVisible(css("#f-line1")),
		chromedp.SendKeys(css("#f-line1"), "1 Test Street"),
		chromedp.SendKeys(css("#f-city"), "Springfield"),
		chromedp.SendKeys(css("#f-postalCode"), "12345"),
		chromedp.Click(css(`form.narrow button[type="submit"]`)),
	)
	b.do("buyer", "order page",
		chromedp.WaitVisible(css(`[data-order-status="PAID"]`)),
		chromedp.WaitVisible(css(fmt.Sprintf(`tr[data-line=%q][data-variant-title="M / Navy"]`, slug))),
		chromedp.WaitVisible(css(`[data-link="live"][data-transport="websocket"]`)),
	)
	number := strings.TrimPrefix(b.text("buyer", "order number", "main h1"), "Order ")

	// The buyer's connection drops; the admin ships meanwhile.
	s.proxy.Down()
	b.do("buyer", "connection lost", chromedp.WaitVisible(css(`[data-link="reconnecting"]`)))
	b.do("admin", "sign in",
		chromedp.Navigate(adminURL+"/admin/orders"),
		chromedp.WaitVisible(css("#f-email")),
		chromedp.SendKeys(css("#f-email"), adminEmail),
		chromedp.SendKeys(css("#f-password"), adminPassword),
		chromedp.Click(css(`main form button[type="submit"]`)),
	)
	b.do("admin", "order list",
		chromedp.WaitVisible(css(fmt.Sprintf(`tr[data-order=%q] a`, number))),
		chromedp.Click(css(fmt.Sprintf(`tr[data-order=%q] a`, number))),
	)
	b.do("admin", "ship",
		chromedp.WaitVisible(css("#f-carrier")),
		chromedp.Click(css(`form[aria-label="Ship"] button`)),
		chromedp.WaitVisible(css(`[data-field-error="carrier"]`)), // empty carrier: a user error by the field
		chromedp.SendKeys(css("#f-carrier"), "DHL"),
		chromedp.SendKeys(css("#f-trackingNumber"), "JD"+word),
		chromedp.Click(css(`form[aria-label="Ship"] button`)),
		chromedp.WaitVisible(css(`h1 [data-order-status="SHIPPED"]`)),
		chromedp.WaitVisible(css(`ol.timeline li[data-status="SHIPPED"]`)),
	)
	s.proxy.Up()
	b.do("buyer", "shipped, after reconnecting",
		chromedp.WaitVisible(css(`[data-order-status="SHIPPED"]`)),
		chromedp.WaitVisible(css(`[data-link="live"]`)),
	)
	if got := b.text("buyer", "tracking number", "[data-tracking]"); got != "JD"+word {
		t.Errorf("tracking number %q", got)
	}
	assertSteps(t, b, "PENDING PAID SHIPPED")

	// WebSockets blocked: the page falls back to Server-Sent Events.
	s.blockWebSockets.Store(true)
	b.do("buyer", "websockets blocked",
		chromedp.Reload(),
		chromedp.WaitVisible(css(`[data-link="live"][data-transport="sse"]`)),
	)
	b.do("admin", "deliver",
		chromedp.Click(css(`form[aria-label="Deliver"] button`)),
		chromedp.WaitVisible(css(`h1 [data-order-status="DELIVERED"]`)),
	)
	b.do("buyer", "delivered, over SSE", chromedp.WaitVisible(css(`[data-order-status="DELIVERED"]`)))
	assertSteps(t, b, "PENDING PAID SHIPPED DELIVERED")

	// The sale reaches the dashboard (through the event stream and ClickHouse).
	b.do("admin", "dashboard",
		chromedp.Navigate(adminURL+"/admin?every=2"),
		chromedp.WaitVisible(css(`[data-kpi="revenue"]`)),
		waitJS(fmt.Sprintf(`document.querySelector('[data-chart-table="top-products"]')?.textContent.includes(%q)`, name)),
		waitJS(`Number(document.querySelector('[data-kpi="orders"]')?.textContent) >= 1`),
	)

	// The buyer reviews what they bought (a rating is required, and said so by its
	// field); the admin sees the review, hides it, and restocks the sold-out variant.
	review := `section[aria-label="Reviews"]`
	b.do("buyer", "review",
		chromedp.Navigate(shopURL+"/p/"+slug),
		chromedp.WaitVisible(css(`form[aria-label="Write a review"] button[type="submit"]`)),
		chromedp.SendKeys(css("#f-review-title"), "Warm "+word),
		chromedp.Click(css(`form[aria-label="Write a review"] button[type="submit"]`)),
		chromedp.WaitVisible(css(`[data-field-error="rating"]`)),
		chromedp.Click(css(`form[aria-label="Write a review"] label:has(input[name="rating"][value="5"])`)),
		chromedp.Click(css(`form[aria-label="Write a review"] button[type="submit"]`)),
		waitJS(fmt.Sprintf(`document.querySelector(%q)?.textContent.includes(%q) && !document.querySelector('form[aria-label="Write a review"]')`, review+" li[data-review]", "Warm "+word)),
	)
	sand := `li[data-variant-title="M / Sand"]`
	b.do("admin", "product: review and variant stock",
		chromedp.Navigate(adminURL+"/admin/products/"+created.ProductCreate.Product.ID),
		chromedp.WaitVisible(css(`ul[aria-label="Reviews"] li[data-hidden="false"] button`)),
		chromedp.Click(css(`ul[aria-label="Reviews"] li[data-hidden="false"] button`)),
		chromedp.WaitVisible(css(`ul[aria-label="Reviews"] li[data-hidden="true"] button`)), // it may be shown again
		chromedp.SendKeys(css(sand+` input[name="delta"]`), "3"),
		chromedp.Click(css(sand+` form[aria-label^="Adjust stock"] button`)),
		chromedp.WaitVisible(css(sand+` [data-field-error="reason"]`)), // a reason is required
		chromedp.SendKeys(css(sand+` input[name="reason"]`), "restock"),
		chromedp.Click(css(sand+` form[aria-label^="Adjust stock"] button`)),
		chromedp.WaitVisible(css(sand+` [data-variant-stock="3"]`)),
	)

	// The clients sent every query and mutation as a persisted hash, never as text.
	if n := s.byText.Load() - setUp; n != 0 || s.byHash.Load() < 20 {
		t.Errorf("%d operations came as text and %d by hash; want none as text", n, s.byHash.Load())
	}
}

// assertSteps checks the buyer's timeline: these statuses, once each, in order.
func assertSteps(t *testing.T, b *browser, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.tabs["buyer"], 10*time.Second)
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('ol.timeline li')].map(li => li.dataset.step + ':' + li.dataset.status).join(' ')`))
	if err != nil {
		b.fail("reading the timeline", err)
	}
	var exp []string
	for i, s := range strings.Fields(want) {
		exp = append(exp, fmt.Sprintf("%d:%s", i+1, s))
	}
	if got != strings.Join(exp, " ") {
		b.fail("the timeline", fmt.Errorf("steps %q, want %q", got, strings.Join(exp, " ")))
	}
}
