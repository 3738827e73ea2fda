// Package app wires shopgraph together: from open connections to the servers it builds
// the stores, the domain services, the resolvers, the HTTP handler and the background
// workers. server.go uses it to serve; integration tests use it to run the real thing.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/shopgraph/shopgraph/api"
	"github.com/shopgraph/shopgraph/auth"
	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/events"
	"github.com/shopgraph/shopgraph/payments"
	"github.com/shopgraph/shopgraph/resolvers"
	"github.com/shopgraph/shopgraph/store/clickhouse"
	"github.com/shopgraph/shopgraph/store/postgres"
	"github.com/shopgraph/shopgraph/store/redis"
	"github.com/shopgraph/shopgraph/web"
)

// Config is what the wiring needs beyond the connections.
type Config struct {
	// JWTSecret signs access tokens.
	JWTSecret []byte
	// AccessTokenTTL is how long an access token lives; zero means 15 minutes.
	AccessTokenTTL time.Duration
	// AuthMode is "jwt" (the default) or "gateway".
	AuthMode auth.Mode
	// TrustedProxies may set the gateway identity headers (gateway mode only).
	TrustedProxies []netip.Prefix
	// Introspection allows schema introspection.
	Introspection bool
	// LoaderWait is the dataloaders' batching window; zero means the default.
	LoaderWait time.Duration
	// WatcherBuffer is how many status events a live tracking subscription may have
	// waiting before it is dropped as too slow; zero means events.DefaultWatcherBuffer.
	WatcherBuffer int
	// Payments takes payments; nil means the built-in simulator.
	Payments domain.PaymentProvider
	// PaymentTimeout bounds a payment; zero means the checkout's default.
	PaymentTimeout time.Duration
	// Limits are the query limits; the zero value means api.DefaultLimits.
	Limits api.Limits
	// CostPerCaller is the budget of query cost points of each caller (user or address).
	CostPerCaller redis.Limit
	// CostLimitOff switches the cost rate limit off (the per-operation limits stay).
	CostLimitOff bool
	// GeneralExecutorOnly runs every field through gqlgen's executor, without the
	// catalog writer that answers the storefront's product selections itself (to compare
	// the two).
	GeneralExecutorOnly bool
	// RefreshReuseGrace is how long a rotated refresh token may be exchanged again (two
	// tabs refreshing at once); zero means redis.DefaultReuseGrace, negative none.
	RefreshReuseGrace time.Duration
	// CheckoutPerCaller limits checkouts of each customer (or guest cart).
	CheckoutPerCaller redis.Limit
	// AllowListOnly runs only operations an operator registered (persisted queries).
	AllowListOnly bool
	// CORSOrigins are the browser origins allowed to call the API.
	CORSOrigins []string
	// DashboardCacheTTL is how long dashboard answers are reused; zero means the default.
	DashboardCacheTTL time.Duration
	// Drain, when it ends, closes every open subscription; nil never does.
	Drain context.Context
	// WebsocketInitTimeout is how long a WebSocket may wait before sending
	// connection_init; zero means the api package's default.
	WebsocketInitTimeout time.Duration
	// Subjects prefixes every NATS subject (tests use their own); StreamName names the
	// JetStream stream (events.DefaultStream when empty).
	Subjects   events.Subjects
	StreamName string
	// StreamReplicas is how many nodes of a NATS cluster keep the event stream; zero
	// means one.
	StreamReplicas int
	// LoginPerAccount and LoginPerAddress limit sign-in attempts.
	LoginPerAccount redis.Limit
	LoginPerAddress redis.Limit
	// CatalogCacheTTL is how long a product stays cached in Redis without being
	// invalidated; zero means redis.DefaultCatalogCacheTTL.
	CatalogCacheTTL time.Duration
	// Ingest runs the analytics ingester (JetStream to the analytics store) in Start. It
	// needs a Bus, and an AnalyticsWriter or ClickHouse.
	Ingest bool
	// IngestBatchSize and IngestFlushInterval tune the ingester's batches; zero means the
	// events package's defaults.
	IngestBatchSize     int
	IngestFlushInterval time.Duration
}

// DefaultLoginLimits allow a burst of 5 attempts per account and 20 per address, then one
// every 12 s per account and one every 3 s per address.
var (
	DefaultLoginPerAccount = redis.Limit{Rate: 1.0 / 12, Burst: 5}
	DefaultLoginPerAddress = redis.Limit{Rate: 1.0 / 3, Burst: 20}
)

// Deps are the open connections.
type Deps struct {
	Postgres   *postgres.DB
	Redis      *redis.Client
	Bus        *events.Bus
	ClickHouse *clickhouse.DB
	Log        *slog.Logger
	// Telemetry is the process's metrics and tracing (see NewTelemetry); nil gives the
	// App a registry of its own and no tracing.
	Telemetry *Telemetry
	// AnalyticsWriter is where the ingester stores analytics rows; nil means the
	// ClickHouse store.
	AnalyticsWriter domain.AnalyticsWriter
}

// App is a wired shopgraph process.
type App struct {
	Handler  http.Handler
	Resolver *resolvers.Resolver
	Accounts *domain.Accounts
	Relay    *events.Relay
	Hub      *events.Hub
	// Shipping applies shipping providers' messages to orders; nil without a Bus.
	Shipping *events.ShippingConsumer
	// CatalogCache caches the resolvers' product reads, and Invalidator keeps it fresh
	// from the catalog events. Both are nil unless Redis and NATS are both present: a
	// cache without its invalidations would serve changed products for a whole TTL.
	CatalogCache *redis.CatalogCache
	Invalidator  *events.Invalidator
	cfg          Config
	deps         Deps
	// Telemetry holds the registry that /metrics serves.
	Telemetry *Telemetry
	// Ingester copies the events into the analytics store; nil unless Config.Ingest.
	Ingester *events.Ingester
	// FunnelSealer keeps the conversion funnel's seal of closed days current; it runs
	// beside the ingester, when the analytics store is ClickHouse.
	FunnelSealer *clickhouse.FunnelSealer
}

// New wires an App over deps.
func New(cfg Config, deps Deps) (*App, error) {
	tel, err := telemetryOrDefault(deps)
	if err != nil {
		return nil, err
	}
	if err := tel.take(); err != nil {
		return nil, err
	}
	deps.Log = api.RequestLogger(deps.Log)
	ttl := cfg.AccessTokenTTL
	if ttl == 0 {
		ttl = auth.DefaultTokenTTL
	}
	tokens, err := auth.NewTokens(cfg.JWTSecret, ttl)
	if err != nil {
		return nil, fmt.Errorf("configuring tokens: %w", err)
	}
	if cfg.LoginPerAccount.Rate == 0 {
		cfg.LoginPerAccount = DefaultLoginPerAccount
	}
	if cfg.LoginPerAddress.Rate == 0 {
		cfg.LoginPerAddress = DefaultLoginPerAddress
	}
	catalog := postgres.NewCatalogStore(deps.Postgres)
	users := postgres.NewUserStore(deps.Postgres)
	limiter := redis.NewLimiter(deps.Redis)
	accounts := &domain.Accounts{
		Users:          users,
		Hasher:         argon2id{},
		Tokens:         tokens,
		Sessions:       sessions(deps.Redis, cfg.RefreshReuseGrace),
		LoginByAccount: limit{limiter, cfg.LoginPerAccount},
		LoginByAddress: limit{limiter, cfg.LoginPerAddress},
	}
	orders := postgres.NewOrderStore(deps.Postgres)
	carts := redis.NewCartStore(deps.Redis)
	payer := cfg.Payments
	if payer == nil {
		payer = payments.Simulator{}
	}
	var reads domain.CatalogReader = catalog
	var cache *redis.CatalogCache
	if deps.Redis != nil && deps.Bus != nil {
		cache = redis.NewCatalogCache(deps.Redis, catalog, cfg.CatalogCacheTTL)
		reads = cache
	}
	r := &resolvers.Resolver{
		Catalog:       reads,
		Categories:    resolvers.NewCategoryTree(catalog, 0, deps.Log),
		CatalogAdmin:  catalog,
		Reviews:       postgres.NewReviewStore(deps.Postgres),
		Users:         users,
		Accounts:      accounts,
		Carts:         carts,
		Orders:        orders,
		Discounts:     postgres.NewDiscountStore(deps.Postgres),
		Shipping:      postgres.NewShippingMethodStore(deps.Postgres),
		Warehouses:    postgres.NewWarehouseStore(deps.Postgres),
		Checkouts:     &domain.Checkout{Orders: orders, Carts: carts, Payments: payer, PaymentTimeout: cfg.PaymentTimeout},
		Amendments:    orders,
		Returns:       orders,
		Settle:        domain.SettleWith(payer, cfg.PaymentTimeout),
		LoaderWait:    cfg.LoaderWait,
		TrackLimit:    limit{limiter, DefaultTrackPerSession},
		CheckoutLimit: limit{limiter, orDefault(cfg.CheckoutPerCaller, DefaultCheckoutPerCaller)},
	}
	if cache != nil {
		r.ProductChanged = cache.Invalidate
	}
	if deps.ClickHouse != nil {
		dash := redis.NewDashboardCache(deps.Redis, clickhouse.NewAnalyticsStore(deps.ClickHouse), cfg.DashboardCacheTTL)
		r.Analytics, r.DashboardAsOf = dash, dash.AsOf
	} else {
		r.Analytics, r.DashboardAsOf = noAnalytics{}, time.Now
	}
	var hub *events.Hub
	if deps.Bus != nil {
		hub = events.NewHub(deps.Bus.NC, cfg.Subjects, events.HubConfig{Buffer: cfg.WatcherBuffer, Log: deps.Log})
		r.Follow = func(ctx context.Context, orderID int64, after *int) (resolvers.OrderFollower, error) {
			f, err := events.Follow(ctx, hub, orders, orderID, after)
			if err != nil {
				return nil, followError(err)
			}
			return followed{f}, nil
		}
		r.Tracker = events.NewTrackPublisher(deps.Bus.JS, cfg.Subjects)
	}
	authn := &auth.Authenticator{
		Tokens:         tokens,
		Mode:           cfg.AuthMode,
		TrustedProxies: cfg.TrustedProxies,
		Logger:         deps.Log,
		LookupEmail: func(ctx context.Context, email string) (domain.Identity, error) {
			u, err := users.UserByEmail(ctx, email)
			if err != nil {
				return domain.Identity{}, err
			}
			return domain.Identity{UserID: u.ID, Email: u.Email, Role: u.Role}, nil
		},
	}
	checks := map[string]api.Check{"postgres": deps.Postgres.Ping}
	if deps.Redis != nil {
		checks["redis"] = deps.Redis.Ping
	}
	if deps.Bus != nil {
		checks["nats"] = deps.Bus.Ping
	}
	if deps.ClickHouse != nil {
		checks["clickhouse"] = deps.ClickHouse.Ping
	}
	persisted := newPersistedQueries(redis.NewPersistedQueries(deps.Redis, cfg.AllowListOnly), web.Operations())
	var allowList func(ctx context.Context, hash string) (bool, error)
	if cfg.AllowListOnly {
		allowList = persisted.Allowed
	}
	r.LoaderBatches = tel.observeBatch
	h := api.NewHandler(api.Options{
		Resolver:      r,
		Log:           deps.Log,
		Introspection: cfg.Introspection,
		Checks:        checks,
		Authenticate:  authn.Middleware,
		WebsocketAuth: func(ctx context.Context, authorization string) (context.Context, error) {
			id, ok, err := authn.IdentityFromAuthorization(authorization)
			if err != nil {
				return ctx, err
			}
			if ok {
				ctx = domain.WithIdentity(ctx, id)
			}
			return ctx, nil
		},
		Drain:            cfg.Drain,
		Limits:           cfg.Limits,
		CostLimiter:      costLimiter(limiter, orDefault(cfg.CostPerCaller, DefaultCostPerCaller), cfg.CostLimitOff),
		PersistedQueries: persisted,
		AllowList:        allowList,
		CORSOrigins:      cfg.CORSOrigins,
		Metrics:          tel.api,
		TracerProvider:   tel.tp,

		WebsocketInitTimeout: cfg.WebsocketInitTimeout,
		AroundOperation:      readRoutingFor(deps),
		GeneralExecutorOnly:  cfg.GeneralExecutorOnly,
	})
	a := &App{Handler: withClientAddr(h), Resolver: r, Accounts: accounts, Hub: hub, cfg: cfg, deps: deps}
	if deps.Bus != nil {
		a.Relay = events.NewRelay(postgres.NewOutboxStore(deps.Postgres), deps.Bus.JS, events.RelayConfig{Subjects: cfg.Subjects, Log: deps.Log})
		a.Shipping = events.NewShippingConsumer(orders, deps.Bus.JS, events.ShippingConfig{
			Subjects: cfg.Subjects, Stream: events.ShippingStreamName(cfg.StreamName), Log: deps.Log})
	}
	if cache != nil {
		a.CatalogCache = cache
		a.Invalidator = events.NewInvalidator(deps.Bus.NC, cache.Invalidate, events.InvalidatorConfig{
			Subjects: cfg.Subjects, Log: deps.Log, RetryFor: cache.TTL()})
	}
	if cfg.Ingest {
		w := deps.AnalyticsWriter
		if w == nil && deps.ClickHouse != nil {
			w = clickhouse.NewAnalyticsStore(deps.ClickHouse)
		}
		if w == nil || deps.Bus == nil {
			return nil, errors.New("the analytics ingester needs NATS and an analytics store")
		}
		a.Ingester = events.NewIngester(deps.Bus.JS, w, events.IngesterConfig{
			Stream: cfg.StreamName, Subjects: cfg.Subjects, Log: deps.Log,
			BatchSize: cfg.IngestBatchSize, FlushInterval: cfg.IngestFlushInterval})
		if deps.ClickHouse != nil {
			a.FunnelSealer = clickhouse.NewFunnelSealer(clickhouse.NewAnalyticsStore(deps.ClickHouse), 0, deps.Log)
		}
	}
	a.Telemetry = tel
	if err := a.registerMetrics(tel.Registry); err != nil {
		return nil, err
	}
	return a, nil
}

// Start runs the background workers until ctx ends: the stream set-up (retried until NATS
// answers), the outbox relay, the shipping consumer (which sets up its own stream), the
// catalog cache's invalidator and, when configured, the analytics ingester and the
// funnel sealer. The returned function waits for them to stop.
func (a *App) Start(ctx context.Context) (wait func()) {
	var wg sync.WaitGroup
	if a.deps.Bus == nil {
		return wg.Wait
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.ensureStream(ctx)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := a.Relay.Run(ctx); err != nil {
			a.deps.Log.Error("outbox relay stopped", "err", err)
		}
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := a.Hub.Run(ctx); err != nil {
			a.deps.Log.Error("subscription hub stopped", "err", err)
		}
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := a.Shipping.Run(ctx); err != nil {
			a.deps.Log.Error("shipping consumer stopped", "err", err)
		}
	}()
	if a.Invalidator != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := a.Invalidator.Run(ctx); err != nil {
				a.deps.Log.Error("catalog cache invalidator stopped", "err", err)
			}
		}()
	}
	if a.Ingester != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := a.Ingester.Run(ctx); err != nil {
				a.deps.Log.Error("analytics ingester stopped", "err", err)
			}
		}()
	}
	if a.FunnelSealer != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := a.FunnelSealer.Run(ctx); err != nil {
				a.deps.Log.Error("funnel sealer stopped", "err", err)
			}
		}()
	}
	return wg.Wait
}

// ensureStream creates or updates the event stream, retrying while NATS is unreachable.
func (a *App) ensureStream(ctx context.Context) {
	cfg := events.StreamConfig{Name: a.cfg.StreamName, Subjects: a.cfg.Subjects, Replicas: a.cfg.StreamReplicas}
	for delay := 100 * time.Millisecond; ; delay = min(2*delay, 5*time.Second) {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := events.EnsureStream(sctx, a.deps.Bus.JS, cfg)
		cancel()
		if err == nil {
			return
		}
		a.deps.Log.Warn("event stream not ready; retrying", "err", err, "in", delay)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
	}
}

// noAnalytics answers every dashboard question with SERVICE_UNAVAILABLE, for processes
// configured without ClickHouse.
type noAnalytics struct{ domain.DashboardReader }

var errNoAnalytics = domain.Errorf(domain.CodeServiceUnavailable, "analytics are not configured on this server")

func (noAnalytics) Summary(context.Context, domain.DateRange) (domain.Summary, error) {
	return domain.Summary{}, errNoAnalytics
}
func (noAnalytics) RevenueSeries(context.Context, domain.DateRange, domain.Granularity, *time.Location) ([]domain.SeriesPoint, error) {
	return nil, errNoAnalytics
}
func (noAnalytics) OrdersByStatus(context.Context, domain.DateRange) ([]domain.StatusCount, error) {
	return nil, errNoAnalytics
}
func (noAnalytics) RevenueByPaymentMethod(context.Context, domain.DateRange) ([]domain.MethodRevenue, error) {
	return nil, errNoAnalytics
}
func (noAnalytics) TopProducts(context.Context, domain.DateRange, int, domain.TopProductsBy) ([]domain.ProductSales, error) {
	return nil, errNoAnalytics
}
func (noAnalytics) ConversionFunnel(context.Context, domain.DateRange) ([]domain.FunnelStep, error) {
	return nil, errNoAnalytics
}
func (noAnalytics) EventCounts(context.Context, domain.DateRange) ([]domain.EventCount, error) {
	return nil, errNoAnalytics
}
func (noAnalytics) OrderTotals(context.Context, domain.DateRange) (int64, int64, error) {
	return 0, 0, errNoAnalytics
}

// DefaultCostPerCaller lets each caller spend bursts of 2,000 query cost points and 100
// points a second after that (a storefront page costs tens of points).
var DefaultCostPerCaller = redis.Limit{Rate: 100, Burst: 2000}

// DefaultCheckoutPerCaller allows 5 checkouts in a burst and one every 6 s after that.
var DefaultCheckoutPerCaller = redis.Limit{Rate: 1.0 / 6, Burst: 5}

func orDefault(l, def redis.Limit) redis.Limit {
	if l.Rate == 0 {
		return def
	}
	return l
}

// costLimiter adapts the Redis token bucket to the API's cost limiter.
func costLimiter(l *redis.Limiter, lim redis.Limit, off bool) api.CostLimiter {
	if off {
		return nil
	}
	return func(ctx context.Context, key string, cost int) (time.Duration, bool, error) {
		d, err := l.Take(ctx, key, float64(cost), lim)
		if err != nil {
			return 0, false, err
		}
		return d.RetryAfter, d.Allowed, nil
	}
}

// DefaultTrackPerSession lets a storefront session send bursts of 200 clickstream events
// and 20 a second after that.
var DefaultTrackPerSession = redis.Limit{Rate: 20, Burst: 200}

// followed is a follower whose Err is client-safe.
type followed struct{ *events.Follower }

func (f followed) Err() error { return followError(f.Follower.Err()) }

// followError gives the reasons order tracking can stop client-safe codes and messages.
func followError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, events.ErrSlowWatcher):
		return domain.Errorf(domain.CodeRateLimited, "the client read the events too slowly and was dropped")
	case errors.Is(err, events.ErrHubClosed):
		return domain.Errorf(domain.CodeServiceUnavailable, "the server is shutting down")
	}
	return err
}

// withClientAddr records the peer's address for rate limits keyed by client.
func withClientAddr(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		next.ServeHTTP(w, r.WithContext(domain.WithClientAddr(r.Context(), host)))
	})
}

// readRoutingFor returns the operations' read routing when the database has replicas
// and Redis can share the callers' write positions; nil (every read on the primary)
// otherwise.
func readRoutingFor(deps Deps) func(context.Context, ast.Operation) (context.Context, func(context.Context)) {
	if deps.Postgres == nil || !deps.Postgres.HasReplicas() || deps.Redis == nil {
		return nil
	}
	return readRouting{db: deps.Postgres, positions: redis.NewWritePositions(deps.Redis), log: deps.Log}.around
}

// argon2id adapts the auth package's password functions to domain.PasswordHasher.
type argon2id struct{}

func (argon2id) Hash(pw string) (string, error) { return auth.HashPassword(pw) }
func (argon2id) Check(hash, pw string) bool     { return auth.CheckPassword(hash, pw) }
func (argon2id) CheckNoUser(pw string)          { auth.CheckNoUser(pw) }

// limit adapts the Redis token bucket to domain.RateLimiter with a fixed limit.
type limit struct {
	l   *redis.Limiter
	lim redis.Limit
}

func (l limit) Allow(ctx context.Context, key string) error {
	d, err := l.l.Take(ctx, key, 1, l.lim)
	if err != nil {
		// A limit that cannot be checked refuses rather than lets an attacker through
		// unmetered: what it guards (sign-in, checkout, tracking) needs Redis anyway.
		return fmt.Errorf("%w: %w", domain.Errorf(domain.CodeServiceUnavailable, "this action is unavailable right now; try again shortly"), err)
	}
	if !d.Allowed {
		return redis.RateLimited(d)
	}
	return nil
}

// sessions returns the refresh-token sessions with the configured reuse grace.
func sessions(c *redis.Client, grace time.Duration) *redis.Sessions {
	s := redis.NewSessions(c, 0)
	if grace != 0 {
		s = s.WithReuseGrace(grace)
	}
	return s
}
