package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shopgraph/shopgraph/store/postgres"
)

// scrapeTimeout bounds the queries a scrape makes (the outbox's lag, the ingester's):
// a database that is slow to answer costs the scrape those metrics, not its others.
const scrapeTimeout = time.Second

// registerMetrics registers the metrics of a's background workers on reg, read at
// scrape time from the workers' own counters:
//
//   - shopgraph_subscriptions_open: order-tracking subscriptions (hub watchers);
//   - shopgraph_hub_messages_total, shopgraph_hub_dropped_total,
//     shopgraph_hub_resyncs_total: the subscription hub's counters;
//   - shopgraph_outbox_published_total, shopgraph_outbox_duplicates_total,
//     shopgraph_outbox_publish_failures_total, shopgraph_outbox_relay_leading: the
//     outbox relay's;
//   - shopgraph_outbox_unpublished, shopgraph_outbox_oldest_age_seconds: events
//     committed and not yet published, and how long the oldest has waited (0 when none
//     waits), from one query per scrape;
//   - shopgraph_ingester_lag, when a runs the analytics ingester: the events of the
//     stream it has not yet stored and acknowledged, from its consumer's state on the
//     NATS server, once per scrape (absent until the ingester has set its consumer up);
//   - shopgraph_db_queries_total{pool}: statements each database pool ran (pool is
//     "primary" or "replica-N"), and, for each replica, shopgraph_db_replica_lag_seconds
//     (how far behind the primary it was at its last check; absent when it did not
//     answer) and shopgraph_db_replica_in_rotation (1 when reads go to it).
func (a *App) registerMetrics(reg prometheus.Registerer) error {
	hub := a.Hub
	cs := []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "shopgraph_subscriptions_open",
			Help: "Order-tracking subscriptions open on this process.",
		}, func() float64 {
			if hub == nil {
				return 0
			}
			return float64(hub.Watchers())
		}),
	}
	if hub != nil {
		cs = append(cs,
			counterFunc("shopgraph_hub_messages_total", "Order events the subscription hub handled.", hub.Messages),
			counterFunc("shopgraph_hub_dropped_total", "Subscriptions dropped for reading their events too slowly.", hub.Dropped),
			counterFunc("shopgraph_hub_resyncs_total", "Times the hub told every subscription to resynchronise from the database.", hub.Resyncs),
		)
	}
	if r := a.Relay; r != nil {
		cs = append(cs,
			counterFunc("shopgraph_outbox_published_total", "Outbox events this process published to JetStream.", r.Published),
			counterFunc("shopgraph_outbox_duplicates_total", "Outbox events JetStream had already stored (a retried publish).", r.Duplicates),
			counterFunc("shopgraph_outbox_publish_failures_total", "Failed attempts to publish outbox events.", r.Failures),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "shopgraph_outbox_relay_leading",
				Help: "1 when this process's relay leads (publishes the outbox), else 0.",
			}, func() float64 {
				if r.Leading() {
					return 1
				}
				return 0
			}),
		)
	}
	if a.deps.Postgres != nil {
		cs = append(cs, poolCollector(a.deps.Postgres.Stats))
		cs = append(cs, outboxLagCollector(postgres.NewOutboxStore(a.deps.Postgres).OutboxLag, a.deps.Log))
	}
	if a.Ingester != nil {
		cs = append(cs, ingesterLagCollector(a.Ingester.Lag, a.deps.Log))
	}
	return registerAll(reg, cs...)
}

// ingesterLagCollector reports the ingester's backlog from lag (events.Ingester.Lag)
// once per scrape.
func ingesterLagCollector(lag func(context.Context) (int64, error), log *slog.Logger) prometheus.Collector {
	desc := prometheus.NewDesc("shopgraph_ingester_lag",
		"Events of the stream the analytics ingester has not yet stored and acknowledged.", nil, nil)
	return onScrape{descs: []*prometheus.Desc{desc}, collect: func(ctx context.Context, ch chan<- prometheus.Metric) {
		n, err := lag(ctx)
		if err != nil {
			logScrapeError(log, "ingester lag", err)
			return
		}
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, float64(n))
	}}
}

// poolCollector reports which database pool served the statements, and each replica's
// lag and rotation, from stats (postgres.DB.Stats).
func poolCollector(stats func() []postgres.PoolStats) prometheus.Collector {
	queries := prometheus.NewDesc("shopgraph_db_queries_total",
		"Statements each database pool ran: the primary's, each read replica's.", []string{"pool"}, nil)
	lag := prometheus.NewDesc("shopgraph_db_replica_lag_seconds",
		"How far behind the primary the read replica was at its last check.", []string{"pool"}, nil)
	rotation := prometheus.NewDesc("shopgraph_db_replica_in_rotation",
		"1 when reads go to the replica; 0 when it is down or lags past the bound.", []string{"pool"}, nil)
	return onScrape{descs: []*prometheus.Desc{queries, lag, rotation}, collect: func(_ context.Context, ch chan<- prometheus.Metric) {
		for i, s := range stats() {
			ch <- prometheus.MustNewConstMetric(queries, prometheus.CounterValue, float64(s.Queries), s.Name)
			if i == 0 {
				continue
			}
			if s.Lag >= 0 {
				ch <- prometheus.MustNewConstMetric(lag, prometheus.GaugeValue, s.Lag.Seconds(), s.Name)
			}
			in := 0.0
			if s.InRotation {
				in = 1
			}
			ch <- prometheus.MustNewConstMetric(rotation, prometheus.GaugeValue, in, s.Name)
		}
	}}
}

// outboxLagCollector reports the outbox's backlog from one OutboxLag query per scrape.
func outboxLagCollector(lag func(context.Context) (int, time.Time, error), log *slog.Logger) prometheus.Collector {
	unpublished := prometheus.NewDesc("shopgraph_outbox_unpublished",
		"Events committed to the outbox and not yet published.", nil, nil)
	age := prometheus.NewDesc("shopgraph_outbox_oldest_age_seconds",
		"How long the oldest unpublished outbox event has waited; 0 when none waits.", nil, nil)
	return onScrape{descs: []*prometheus.Desc{unpublished, age}, collect: func(ctx context.Context, ch chan<- prometheus.Metric) {
		n, oldest, err := lag(ctx)
		if err != nil {
			logScrapeError(log, "outbox lag", err)
			return
		}
		var waited float64
		if !oldest.IsZero() {
			waited = max(0, time.Since(oldest).Seconds())
		}
		ch <- prometheus.MustNewConstMetric(unpublished, prometheus.GaugeValue, float64(n))
		ch <- prometheus.MustNewConstMetric(age, prometheus.GaugeValue, waited)
	}}
}

// onScrape is a collector that asks for its values when scraped, within scrapeTimeout.
// When it cannot get them it leaves them out of the scrape (an absent series, which an
// alert can catch) rather than failing the whole scrape.
type onScrape struct {
	descs   []*prometheus.Desc
	collect func(ctx context.Context, ch chan<- prometheus.Metric)
}

func (c onScrape) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c onScrape) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	c.collect(ctx, ch)
}

func counterFunc(name, help string, read func() int64) prometheus.Collector {
	return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 {
		return float64(read())
	})
}

func logScrapeError(log *slog.Logger, what string, err error) {
	if log != nil {
		log.Warn("metrics: cannot read "+what, "err", err)
	}
}
