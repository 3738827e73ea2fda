package main

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shopgraph/shopgraph/auth"
)

// config is every setting of a shopgraph process, read from the environment.
type config struct {
	HTTPAddr        string
	DatabaseURL     string
	ReplicaURLs     []string
	MaxReplicaLag   time.Duration
	RedisURL        string
	RedisAddrs      []string
	RedisMaster     string
	NATSURL         string
	ClickHouseURL   string
	JWTSecret       string
	LogLevel        string
	LogFormat       string
	Introspection   bool
	Ingest          bool
	IngestBatch     int
	IngestFlush     time.Duration
	ShutdownTimeout time.Duration
	AuthMode        auth.Mode
	TrustedProxies  []netip.Prefix
	CORSOrigins     []string
	AllowListOnly   bool
	MaxQueryCost    int
	MaxQueryDepth   int
	CostRate        float64
	CostBurst       float64
	RedisPrefix     string
	NATSPrefix      string
	NATSStream      string
	NATSReplicas    int
	LoaderWait      time.Duration
	AdminAddr       string
	OTLPEndpoint    string
}

// setting describes one environment variable: its name, default, meaning, and where
// it goes.
type setting struct {
	env, def, help string
	secret         bool
	set            func(*config, string) error
}

func str(dst func(*config) *string) func(*config, string) error {
	return func(c *config, v string) error { *dst(c) = v; return nil }
}

var settings = []setting{
	{env: "HTTP_ADDR", def: ":8080", help: "address the HTTP server listens on",
		set: str(func(c *config) *string { return &c.HTTPAddr })},
	{env: "DATABASE_URL", def: "postgres://shopgraph:shopgraph@127.0.0.1:5432/shopgraph?sslmode=disable", help: "PostgreSQL connection URL", secret: true,
		set: str(func(c *config) *string { return &c.DatabaseURL })},
	{env: "SHOPGRAPH_DATABASE_REPLICA_URLS", def: "", help: "comma-separated PostgreSQL read replica URLs (streaming hot standbys) for catalog, search, reviews, order history and admin lists; empty reads from DATABASE_URL", secret: true,
		set: func(c *config, v string) error {
			c.ReplicaURLs = nil
			for _, u := range strings.Split(v, ",") {
				if u = strings.TrimSpace(u); u == "" {
					continue
				}
				if _, err := url.Parse(u); err != nil {
					return fmt.Errorf("must be comma-separated URLs")
				}
				c.ReplicaURLs = append(c.ReplicaURLs, u)
			}
			return nil
		}},
	{env: "SHOPGRAPH_DATABASE_REPLICA_MAX_LAG", def: "5s", help: "a read replica further behind the primary than this is taken out of rotation until it catches up",
		set: func(c *config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return fmt.Errorf("must be a positive duration such as 5s")
			}
			c.MaxReplicaLag = d
			return nil
		}},
	{env: "REDIS_URL", def: "redis://127.0.0.1:6379/0", help: "Redis URL (carts, sessions, caches, limits)", secret: true,
		set: str(func(c *config) *string { return &c.RedisURL })},
	{env: "REDIS_ADDRS", def: "", help: "comma-separated Redis nodes (host:port) instead of REDIS_URL's host: Sentinels with REDIS_SENTINEL_MASTER, else Redis Cluster seeds; REDIS_URL still gives the password",
		set: func(c *config, v string) error {
			c.RedisAddrs = nil
			for _, a := range strings.Split(v, ",") {
				if a = strings.TrimSpace(a); a == "" {
					continue
				}
				if _, _, err := net.SplitHostPort(a); err != nil {
					return fmt.Errorf("must be comma-separated host:port addresses")
				}
				c.RedisAddrs = append(c.RedisAddrs, a)
			}
			return nil
		}},
	{env: "REDIS_SENTINEL_MASTER", def: "", help: "name of the master the Sentinels in REDIS_ADDRS watch; empty for no Sentinel",
		set: str(func(c *config) *string { return &c.RedisMaster })},
	{env: "NATS_URL", def: "nats://127.0.0.1:4222", help: "NATS URL, or comma-separated URLs of a cluster's nodes; JetStream must be enabled", secret: true,
		set: str(func(c *config) *string { return &c.NATSURL })},
	{env: "CLICKHOUSE_URL", def: "clickhouse://default:@127.0.0.1:9000/shopgraph", help: "ClickHouse native-protocol URL (analytics)", secret: true,
		set: str(func(c *config) *string { return &c.ClickHouseURL })},
	{env: "JWT_SECRET", def: "dev-secret-change-me", help: "HS256 key for access tokens; set a long random value in production", secret: true,
		set: str(func(c *config) *string { return &c.JWTSecret })},
	{env: "AUTH_MODE", def: "jwt", help: "jwt (Bearer tokens from login) or gateway (X-User-Email/X-User-Role from TRUSTED_PROXIES)",
		set: func(c *config, v string) error {
			if v != string(auth.ModeJWT) && v != string(auth.ModeGateway) {
				return fmt.Errorf("must be jwt or gateway")
			}
			c.AuthMode = auth.Mode(v)
			return nil
		}},
	{env: "TRUSTED_PROXIES", def: "", help: "comma-separated IPs or CIDRs of the gateways allowed to set identity headers",
		set: func(c *config, v string) error {
			p, err := auth.ParseTrustedProxies(v)
			c.TrustedProxies = p
			return err
		}},
	{env: "CORS_ORIGINS", def: "", help: "comma-separated browser origins allowed to call the API (the storefront's and the dashboard's); * for any",
		set: func(c *config, v string) error {
			c.CORSOrigins = nil
			for _, o := range strings.Split(v, ",") {
				if o = strings.TrimSpace(o); o != "" {
					c.CORSOrigins = append(c.CORSOrigins, o)
				}
			}
			return nil
		}},
	{env: "PERSISTED_QUERIES_ONLY", def: "false", help: "run only operations registered with `shopgraph persisted add` (allow-list mode)",
		set: func(c *config, v string) error {
			b, err := strconv.ParseBool(v)
			c.AllowListOnly = b
			return err
		}},
	{env: "QUERY_MAX_COST", def: "1000", help: "the highest cost an operation may have (page sizes multiply what they select)",
		set: func(c *config, v string) error { return positive(&c.MaxQueryCost, v) }},
	{env: "QUERY_MAX_DEPTH", def: "12", help: "the deepest an operation's selections may nest",
		set: func(c *config, v string) error { return positive(&c.MaxQueryDepth, v) }},
	{env: "QUERY_COST_RATE", def: "100", help: "query cost points each caller (user or address) regains per second; 0 turns the cost rate limit off",
		set: func(c *config, v string) error {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 {
				return fmt.Errorf("must be a number of points per second, 0 or more")
			}
			c.CostRate = f
			return nil
		}},
	{env: "QUERY_COST_BURST", def: "2000", help: "query cost points each caller may spend at once",
		set: func(c *config, v string) error {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f <= 0 {
				return fmt.Errorf("must be a positive number of points")
			}
			c.CostBurst = f
			return nil
		}},
	{env: "REDIS_PREFIX", def: "sg:", help: "prefix of every Redis key, so deployments can share a server",
		set: str(func(c *config) *string { return &c.RedisPrefix })},
	{env: "NATS_SUBJECT_PREFIX", def: "", help: "prefix of every NATS subject (empty: order.paid, product.updated, ...)",
		set: str(func(c *config) *string { return &c.NATSPrefix })},
	{env: "NATS_STREAM", def: "SHOPGRAPH", help: "name of the JetStream stream of the event log",
		set: str(func(c *config) *string { return &c.NATSStream })},
	{env: "NATS_STREAM_REPLICAS", def: "1", help: "nodes of the NATS cluster that keep the event stream (3 survives losing one; at most the cluster's size)",
		set: func(c *config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 5 {
				return fmt.Errorf("must be a whole number from 1 to 5")
			}
			c.NATSReplicas = n
			return nil
		}},
	{env: "LOADER_WAIT", def: "1ms", help: "how long dataloaders collect keys before querying",
		set: func(c *config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return fmt.Errorf("must be a positive duration such as 1ms")
			}
			c.LoaderWait = d
			return nil
		}},
	{env: "LOG_LEVEL", def: "info", help: "debug, info, warn or error",
		set: func(c *config, v string) error {
			switch v {
			case "debug", "info", "warn", "error":
				c.LogLevel = v
				return nil
			}
			return fmt.Errorf("must be debug, info, warn or error")
		}},
	{env: "LOG_FORMAT", def: "text", help: "text or json",
		set: func(c *config, v string) error {
			if v != "text" && v != "json" {
				return fmt.Errorf("must be text or json")
			}
			c.LogFormat = v
			return nil
		}},
	{env: "INTROSPECTION", def: "true", help: "allow GraphQL schema introspection (turn off in production)",
		set: func(c *config, v string) error {
			b, err := strconv.ParseBool(v)
			c.Introspection = b
			return err
		}},
	{env: "INGEST", def: "true", help: "run the analytics ingester in serve; false when `shopgraph ingest` runs it apart",
		set: func(c *config, v string) error {
			b, err := strconv.ParseBool(v)
			c.Ingest = b
			return err
		}},
	{env: "INGEST_BATCH_SIZE", def: "50000", help: "events the analytics ingester stores in one ClickHouse insert, at most",
		set: func(c *config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1_000_000 {
				return fmt.Errorf("must be a whole number from 1 to 1000000")
			}
			c.IngestBatch = n
			return nil
		}},
	{env: "INGEST_FLUSH_INTERVAL", def: "500ms", help: "how long the analytics ingester lets a batch's first event wait for more before storing the batch",
		set: func(c *config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 || d > time.Minute {
				return fmt.Errorf("must be a duration from 1ms to 1m, such as 500ms")
			}
			c.IngestFlush = d
			return nil
		}},
	{env: "ADMIN_ADDR", def: "127.0.0.1:6060", help: "address of the admin listener (pprof at /debug/pprof/); off turns it off. Keep it private",
		set: func(c *config, v string) error {
			if v == "off" {
				return nil
			}
			if _, _, err := net.SplitHostPort(v); err != nil {
				return fmt.Errorf("must be host:port or off")
			}
			c.AdminAddr = v
			return nil
		}},
	{env: "OTEL_EXPORTER_OTLP_ENDPOINT", def: "", help: "OTLP/HTTP collector base URL for traces (http://127.0.0.1:4318); empty turns tracing off",
		set: func(c *config, v string) error {
			if v != "" {
				if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					return fmt.Errorf("must be an http or https URL")
				}
			}
			c.OTLPEndpoint = v
			return nil
		}},
	{env: "SHUTDOWN_TIMEOUT", def: "15s", help: "how long a stopping server waits for requests in flight",
		set: func(c *config, v string) error {
			d, err := time.ParseDuration(v)
			c.ShutdownTimeout = d
			return err
		}},
}

func positive(dst *int, v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return fmt.Errorf("must be a positive integer")
	}
	*dst = n
	return nil
}

// loadConfig reads the settings from getenv, falling back to their defaults.
func loadConfig(getenv func(string) string) (config, error) {
	var c config
	for _, s := range settings {
		v := getenv(s.env)
		if v == "" {
			v = s.def
		}
		if err := s.set(&c, v); err != nil {
			return c, fmt.Errorf("%s=%q: %w", s.env, v, err)
		}
	}
	return c, nil
}

// printSettings writes the settings table of --help.
func printSettings(w io.Writer) {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "VARIABLE\tDEFAULT\tMEANING")
	for _, s := range settings {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.env, s.def, s.help)
	}
	tw.Flush()
}

// masked returns the settings as they should appear in a log: URLs without their
// passwords, secrets replaced by asterisks.
func (c config) masked(getenv func(string) string) []any {
	var out []any
	for _, s := range settings {
		v := getenv(s.env)
		if v == "" {
			v = s.def
		}
		if s.secret {
			v = maskSecret(v)
		}
		out = append(out, strings.ToLower(s.env), v)
	}
	return out
}

func maskSecret(v string) string {
	if strings.Contains(v, ",") {
		parts := strings.Split(v, ",")
		for i, p := range parts {
			parts[i] = maskSecret(strings.TrimSpace(p))
		}
		return strings.Join(parts, ",")
	}
	if v == "" {
		return ""
	}
	if u, err := url.Parse(v); err == nil && u.Scheme != "" && u.Host != "" {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		return u.String()
	}
	return "*****"
}
