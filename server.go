// Command shopgraph is the GraphQL backend-for-frontend of an online shop. One binary
// serves the API (the default command) and does the operator's chores: migrate, seed.
// Run `shopgraph --help` for the commands and the environment variables it reads.
package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/shopgraph/shopgraph/api"
	"github.com/shopgraph/shopgraph/app"
	"github.com/shopgraph/shopgraph/auth"
	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/events"
	"github.com/shopgraph/shopgraph/seed"
	"github.com/shopgraph/shopgraph/store/clickhouse"
	"github.com/shopgraph/shopgraph/store/postgres"
	"github.com/shopgraph/shopgraph/store/redis"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "shopgraph:", err)
		os.Exit(1)
	}
}

const usage = `shopgraph: the GraphQL backend-for-frontend of an online shop.

Usage:
  shopgraph [serve]    serve the API (migrates first)
  shopgraph migrate    apply the PostgreSQL and ClickHouse migrations
  shopgraph seed       migrate, then load the demo shop into an empty database
  shopgraph admin create --email E --password P
                       create an admin account
  shopgraph ingest     run the analytics ingester alone (JetStream to ClickHouse); serve
                       runs it too unless INGEST=false
  shopgraph analytics verify [--from T] [--to T]
                       compare the dashboard's order count and revenue with PostgreSQL
                       (RFC 3339 times; the last 90 days by default); exits 1 on a mismatch
  shopgraph persisted add FILE...
                       register the operations in the files (one per file) for the
                       allow-list mode (PERSISTED_QUERIES_ONLY) and print their hashes
  shopgraph --help     print this help

Configuration comes from the environment:
`

// run executes the command in args. It returns when the command is done or, for serve,
// when ctx is cancelled and the server has shut down.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	if cmd == "--help" || cmd == "-h" || cmd == "help" {
		fmt.Fprint(stdout, usage)
		printSettings(stdout)
		return nil
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	switch cmd {
	case "serve":
		log.Info("starting shopgraph", cfg.masked(getenv)...)
		return serve(ctx, cfg, log)
	case "migrate":
		return migrate(ctx, cfg, log)
	case "seed":
		return seedDemo(ctx, cfg, log, stdout)
	case "admin":
		return adminCommand(ctx, cfg, args[1:], stdout)
	case "ingest":
		log.Info("starting the analytics ingester", cfg.masked(getenv)...)
		return ingest(ctx, cfg, log)
	case "persisted":
		return persistedCommand(ctx, cfg, args[1:], stdout)
	case "analytics":
		return analyticsCommand(ctx, cfg, args[1:], stdout)
	}
	return fmt.Errorf("unknown command %q (see shopgraph --help)", cmd)
}

func newLogger(cfg config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// migrate applies the migrations of both databases.
func migrate(ctx context.Context, cfg config, log *slog.Logger) error {
	pg, err := postgres.Open(ctx, postgres.Config{URL: cfg.DatabaseURL})
	if err != nil {
		return err
	}
	defer pg.Close()
	if err := pg.Migrate(ctx, log); err != nil {
		return err
	}
	chdb, err := clickhouse.Open(clickhouse.Config{URL: cfg.ClickHouseURL})
	if err != nil {
		return err
	}
	defer chdb.Close()
	return chdb.Migrate(ctx, log)
}

// seedDemo migrates, then loads the demo catalog when the database has none.
func seedDemo(ctx context.Context, cfg config, log *slog.Logger, stdout io.Writer) error {
	if err := migrate(ctx, cfg, log); err != nil {
		return err
	}
	// A seed that dies half-way is simply run again on an empty database: it need not
	// wait for each commit to reach the disk.
	pg, err := postgres.Open(ctx, postgres.Config{URL: cfg.DatabaseURL, RuntimeParams: map[string]string{"synchronous_commit": "off"}})
	if err != nil {
		return err
	}
	defer pg.Close()
	start := time.Now()
	c := seed.Generate(seed.DefaultProducts)
	loaded, err := pg.SeedCatalog(ctx, c, time.Now())
	if err != nil {
		return err
	}
	if !loaded {
		fmt.Fprintln(stdout, "seed: the catalog already has data; nothing to do")
		return nil
	}
	fmt.Fprintf(stdout, "seed: %d categories and %d products in %s\n", len(c.Categories), len(c.Products), time.Since(start).Round(time.Millisecond))
	// Demo accounts get random passwords, shown here and nowhere else.
	fmt.Fprintln(stdout, "seed: demo accounts (the passwords are shown only now):")
	var customers []domain.User
	for _, nu := range seed.Accounts() {
		nu.Password = randomPassword()
		u, err := createUser(ctx, pg, nu)
		if err != nil {
			return err
		}
		if u.Role == domain.RoleCustomer {
			customers = append(customers, u)
		}
		fmt.Fprintf(stdout, "  %-8s %-34s %s\n", nu.Role, nu.Email, nu.Password)
	}
	// The clickstream goes through the storefront's own pipeline: JetStream, then the
	// ingester of the next `serve`. Without NATS the orders are still seeded.
	var pub domain.AnalyticsPublisher
	if bus, err := events.Connect(events.Config{URL: cfg.NATSURL, Name: "shopgraph-seed"}, log); err == nil {
		defer bus.Close()
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := events.EnsureStream(sctx, bus.JS, events.StreamConfig{Name: cfg.NATSStream, Subjects: events.Subjects{Prefix: cfg.NATSPrefix}, Replicas: cfg.NATSReplicas})
		cancel()
		if err == nil {
			pub = events.NewTrackPublisher(bus.JS, events.Subjects{Prefix: cfg.NATSPrefix})
		} else {
			log.Warn("no demo clickstream: the event stream is not available", "err", err)
		}
	}
	start = time.Now()
	counts, clicks, err := app.SeedDemo(ctx, pg, pub, customers, seed.DefaultOrders, seed.DefaultBrowsingSessions, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "seed: %d orders over the last 90 days and %d storefront events in %s:", seed.DefaultOrders, clicks, time.Since(start).Round(time.Millisecond))
	for _, s := range domain.AllOrderStatuses {
		fmt.Fprintf(stdout, " %s %d", s, counts[s])
	}
	fmt.Fprintln(stdout)
	return nil
}

// adminCommand runs `shopgraph admin create --email E --password P`.
func adminCommand(ctx context.Context, cfg config, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("usage: shopgraph admin create --email E --password P")
	}
	fs := flag.NewFlagSet("admin create", flag.ContinueOnError)
	email := fs.String("email", "", "the admin's email address")
	password := fs.String("password", "", "the admin's password (at least 8 characters)")
	name := fs.String("name", "Administrator", "the admin's display name")
	fs.SetOutput(stdout)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	pg, err := postgres.Open(ctx, postgres.Config{URL: cfg.DatabaseURL})
	if err != nil {
		return err
	}
	defer pg.Close()
	u, err := createUser(ctx, pg, domain.NewUser{Email: *email, Password: *password, Name: *name, Role: domain.RoleAdmin})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "admin %s created (id %d)\n", u.Email, u.ID)
	return nil
}

// analyticsCommand runs `shopgraph analytics verify --from --to`.
func analyticsCommand(ctx context.Context, cfg config, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return fmt.Errorf("usage: shopgraph analytics verify [--from T] [--to T]")
	}
	fs := flag.NewFlagSet("analytics verify", flag.ContinueOnError)
	now := time.Now().UTC()
	from := fs.String("from", now.Add(-90*24*time.Hour).Format(time.RFC3339), "start of the range (RFC 3339)")
	to := fs.String("to", now.Add(time.Minute).Format(time.RFC3339), "end of the range (RFC 3339)")
	fs.SetOutput(stdout)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	var r domain.DateRange
	var err error
	if r.From, err = time.Parse(time.RFC3339, *from); err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	if r.To, err = time.Parse(time.RFC3339, *to); err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	pg, err := postgres.Open(ctx, postgres.Config{URL: cfg.DatabaseURL})
	if err != nil {
		return err
	}
	defer pg.Close()
	chdb, err := clickhouse.Open(clickhouse.Config{URL: cfg.ClickHouseURL})
	if err != nil {
		return err
	}
	defer chdb.Close()
	rep, err := app.Verify(ctx, postgres.NewOrderStore(pg), clickhouse.NewAnalyticsStore(chdb), r)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, rep)
	if !rep.Match() {
		return fmt.Errorf("the dashboard and the order database disagree")
	}
	return nil
}

// persistedCommand runs `shopgraph persisted add FILE...`.
func persistedCommand(ctx context.Context, cfg config, args []string, stdout io.Writer) error {
	if len(args) < 2 || args[0] != "add" {
		return fmt.Errorf("usage: shopgraph persisted add FILE...")
	}
	rdb, err := redis.Open(redisConfig(cfg))
	if err != nil {
		return err
	}
	defer rdb.Close()
	pq := redis.NewPersistedQueries(rdb, true)
	for _, f := range args[1:] {
		q, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(q)
		hash := hex.EncodeToString(sum[:])
		if err := pq.Register(ctx, hash, string(q)); err != nil {
			return fmt.Errorf("registering %s: %w", f, err)
		}
		fmt.Fprintf(stdout, "%s  %s\n", hash, f)
	}
	return nil
}

// createUser validates and stores an account, as registration does, with any role.
func createUser(ctx context.Context, pg *postgres.DB, nu domain.NewUser) (domain.User, error) {
	nu.Email = domain.NormalizeEmail(nu.Email)
	if errs := nu.Validate("input"); len(errs) > 0 {
		return domain.User{}, fmt.Errorf("invalid account: %s", errs[0].Message)
	}
	hash, err := auth.HashPassword(nu.Password)
	if err != nil {
		return domain.User{}, err
	}
	u, err := postgres.NewUserStore(pg).CreateUser(ctx, nu, hash, nil)
	if domain.ErrorCode(err) == domain.CodeConflict {
		return domain.User{}, fmt.Errorf("an account with email %s already exists", nu.Email)
	}
	return u, err
}

// redisConfig is how the process reaches Redis.
func redisConfig(cfg config) redis.Config {
	return redis.Config{URL: cfg.RedisURL, Addrs: cfg.RedisAddrs, SentinelMaster: cfg.RedisMaster, Prefix: cfg.RedisPrefix}
}

// appConfig extracts the wiring's settings from the process configuration.
func appConfig(cfg config) app.Config {
	return app.Config{
		JWTSecret:           []byte(cfg.JWTSecret),
		AuthMode:            cfg.AuthMode,
		TrustedProxies:      cfg.TrustedProxies,
		Introspection:       cfg.Introspection,
		Ingest:              cfg.Ingest,
		IngestBatchSize:     cfg.IngestBatch,
		IngestFlushInterval: cfg.IngestFlush,
		CORSOrigins:         cfg.CORSOrigins,
		AllowListOnly:       cfg.AllowListOnly,
		Subjects:            events.Subjects{Prefix: cfg.NATSPrefix},
		StreamName:          cfg.NATSStream,
		StreamReplicas:      cfg.NATSReplicas,
		LoaderWait:          cfg.LoaderWait,
		CostPerCaller:       redis.Limit{Rate: cfg.CostRate, Burst: cfg.CostBurst},
		CostLimitOff:        cfg.CostRate == 0,
		Limits: func() api.Limits {
			l := api.DefaultLimits
			l.MaxCost, l.MaxDepth = cfg.MaxQueryCost, cfg.MaxQueryDepth
			return l
		}(),
	}
}

func randomPassword() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ingest runs the analytics ingester (and the funnel sealer beside it) alone until ctx is
// cancelled, then returns once they have stopped. ClickHouse being down, or its schema
// not migrated yet, is not an error: the ingester holds the events and retries until
// they can be stored, and the sealer looks again later.
func ingest(ctx context.Context, cfg config, log *slog.Logger) error {
	bus, err := events.Connect(events.Config{URL: cfg.NATSURL, Name: "shopgraph-ingest"}, log)
	if err != nil {
		return err
	}
	defer bus.Close()
	chdb, err := clickhouse.Open(clickhouse.Config{URL: cfg.ClickHouseURL})
	if err != nil {
		return err
	}
	defer chdb.Close()
	if err := chdb.Migrate(ctx, log); err != nil {
		log.Warn("clickhouse migrations not applied", "err", err)
	}
	store := clickhouse.NewAnalyticsStore(chdb)
	in := events.NewIngester(bus.JS, store, events.IngesterConfig{
		Stream: cfg.NATSStream, Subjects: events.Subjects{Prefix: cfg.NATSPrefix}, Log: log,
		BatchSize: cfg.IngestBatch, FlushInterval: cfg.IngestFlush})
	sealCtx, stopSealing := context.WithCancel(ctx)
	sealed := make(chan error, 1)
	go func() { sealed <- clickhouse.NewFunnelSealer(store, 0, log).Run(sealCtx) }()
	err = in.Run(ctx)
	stopSealing()
	return errors.Join(err, <-sealed)
}

// serve runs the API until ctx is cancelled, then shuts down in order: stop accepting,
// finish requests in flight, drain NATS, close the pools.
func serve(ctx context.Context, cfg config, log *slog.Logger) error {
	tel, err := app.NewTelemetry(ctx, app.TelemetryConfig{OTLPEndpoint: cfg.OTLPEndpoint})
	if err != nil {
		return err
	}
	defer shutdownTelemetry(tel, log)
	pg, err := postgres.Open(ctx, postgres.Config{URL: cfg.DatabaseURL, Tracer: tel.PostgresTracer(),
		ReplicaURLs: cfg.ReplicaURLs, MaxReplicaLag: cfg.MaxReplicaLag})
	if err != nil {
		return err
	}
	defer pg.Close()
	if err := pg.Migrate(ctx, log); err != nil {
		return err
	}
	rdb, err := redis.Open(redisConfig(cfg))
	if err != nil {
		return err
	}
	defer rdb.Close()
	if err := tel.InstrumentRedis(rdb); err != nil {
		return err
	}
	bus, err := events.Connect(events.Config{URL: cfg.NATSURL, Name: "shopgraph"}, log)
	if err != nil {
		return err
	}
	defer bus.Close()
	chdb, err := clickhouse.Open(clickhouse.Config{URL: cfg.ClickHouseURL})
	if err != nil {
		return err
	}
	defer chdb.Close()
	tel.InstrumentClickHouse(chdb)
	// Analytics must not keep the storefront from starting: a ClickHouse that is down
	// now is reported by /readyz, and migrated by the next start or `shopgraph migrate`.
	if err := chdb.Migrate(ctx, log); err != nil {
		log.Warn("clickhouse migrations not applied", "err", err)
	}

	drain, startDraining := context.WithCancel(context.Background())
	defer startDraining()
	acfg := appConfig(cfg)
	acfg.Drain = drain
	a, err := app.New(acfg, app.Deps{Postgres: pg, Redis: rdb, Bus: bus, ClickHouse: chdb, Log: log, Telemetry: tel})
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              cfg.HTTPAddr,
		Handler:           a.Handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		// Requests in flight finish on their own during a shutdown; subscriptions, which
		// never finish, are closed through drain.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	srv.RegisterOnShutdown(startDraining)
	workerCtx, stopWorkers := context.WithCancel(context.WithoutCancel(ctx))
	waitWorkers := a.Start(workerCtx)
	defer func() {
		stopWorkers()
		waitWorkers()
	}()
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.HTTPAddr, err)
	}
	log.Info("serving", "addr", ln.Addr().String(), "storefront", "http://"+ln.Addr().String()+"/",
		"admin", "http://"+ln.Addr().String()+"/admin", "graphiql", "http://"+ln.Addr().String()+"/graphiql")
	stopAdmin, err := startAdmin(cfg.AdminAddr, log)
	if err != nil {
		return err
	}
	defer stopAdmin()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving http: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("http shutdown", "err", err)
	}
	return nil
}
