package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// The funnel's seals (migrations/00003_funnel_sealed.sql). Grouping the per-session
// rollup by session is most of the cost of a funnel over a long range (1.1 s for 2.2
// million sessions on two cores); a seal does that grouping once for the days that have
// closed (funnel_seal.sql), works out the levels of the sessions whose steps came out of
// order from their raw events (funnel_seal_levels.sql) and counts the sessions by the
// quarter hour of their first and last view (funnel_seal_counts.sql). The funnel then
// counts the sealed sessions a range holds from those counts and groups only the few
// days after the seal's horizon.

const (
	// sealLag is how far behind today a seal's horizon stays: the day before yesterday
	// and earlier. A session still going (or its events still arriving) after midnight
	// adds rows to yesterday's rollup, which would stale a seal of yesterday at once.
	sealLag = 2 * 24 * time.Hour
	// sealBudget bounds one seal: the grouping of every closed day's rollup, seconds for
	// tens of millions of events.
	sealBudget = 5 * time.Minute
	// sealKeep is how long an older seal stays after a newer one is recorded: a funnel
	// that picked it just before finishes within its read budget (5 s).
	sealKeep = time.Minute
	// sealAbandoned is how old a generation without a record must be before it is taken
	// for a seal that stopped half way and dropped: a seal still writing is younger.
	sealAbandoned = 30 * time.Minute
)

// funnelSeal is a recorded seal.
type funnelSeal struct {
	generation uint64
	horizon    time.Time // the last sealed day, at midnight UTC
	print      fingerprint
	sealedAt   time.Time
}

// fingerprint is the number of the rollup's rows up to a horizon: while it stays the
// same, so do those rows, which are only ever added.
type fingerprint struct{ rows uint64 }

// SealHorizon is the horizon a seal made at now takes: the day two days before now's.
func SealHorizon(now time.Time) time.Time {
	return now.UTC().Truncate(24 * time.Hour).Add(-sealLag)
}

func (s *AnalyticsStore) fingerprint(ctx context.Context, horizon time.Time) (fingerprint, error) {
	var f fingerprint
	err := s.db.read(ctx, funnelFingerprintSQL, []any{ch.Named("horizon", horizon)}, func(rows driver.Rows) error {
		return rows.Scan(&f.rows)
	})
	return f, err
}

// seals returns the recorded seals, newest first.
func (s *AnalyticsStore) seals(ctx context.Context) ([]funnelSeal, error) {
	var out []funnelSeal
	err := s.db.read(ctx, funnelSealsSQL, nil, func(rows driver.Rows) error {
		var f funnelSeal
		if err := rows.Scan(&f.generation, &f.horizon, &f.print.rows, &f.sealedAt); err != nil {
			return err
		}
		f.horizon = f.horizon.UTC()
		out = append(out, f)
		return nil
	})
	return out, err
}

// currentSeal returns the newest seal when no rollup row has arrived for its days since
// it was made.
func (s *AnalyticsStore) currentSeal(ctx context.Context) (funnelSeal, bool, error) {
	seals, err := s.seals(ctx)
	if err != nil || len(seals) == 0 {
		return funnelSeal{}, false, err
	}
	f, err := s.fingerprint(ctx, seals[0].horizon)
	if err != nil {
		return funnelSeal{}, false, err
	}
	return seals[0], f == seals[0].print, nil
}

// SealFunnel seals the funnel's days up to and including horizon's (UTC), unless the
// newest seal already holds exactly those days' rollup. It reports whether it recorded a
// new seal. Rows arriving for those days while it groups them void the seal: it drops
// what it wrote and reports false, to be tried again later. Older seals are dropped a
// minute after a newer one is recorded.
func (s *AnalyticsStore) SealFunnel(ctx context.Context, horizon time.Time) (bool, error) {
	ctx, cancel := withBudget(ctx, sealBudget)
	defer cancel()
	horizon = horizon.UTC().Truncate(24 * time.Hour)
	before, err := s.fingerprint(ctx, horizon)
	if err != nil {
		return false, err
	}
	seals, err := s.seals(ctx)
	if err != nil {
		return false, err
	}
	if len(seals) > 0 && seals[0].horizon.Equal(horizon) && seals[0].print == before {
		return false, s.prune(ctx, time.Now(), seals)
	}
	gen := uint64(time.Now().UnixNano())
	genArgs := []any{ch.Named("generation", gen), ch.Named("horizon", horizon)}
	for _, st := range []statement{funnelSealSQL, funnelSealLevelsSQL, funnelSealCountsSQL} {
		if err := s.db.exec(ctx, st, genArgs); err != nil {
			return false, errors.Join(err, s.dropGeneration(context.WithoutCancel(ctx), gen))
		}
	}
	after, err := s.fingerprint(ctx, horizon)
	if err != nil || after != before {
		return false, errors.Join(err, s.dropGeneration(context.WithoutCancel(ctx), gen))
	}
	record := append(genArgs, ch.Named("rollup_rows", before.rows))
	if err := s.db.exec(ctx, funnelSealRecordSQL, record); err != nil {
		return false, errors.Join(err, s.dropGeneration(context.WithoutCancel(ctx), gen))
	}
	return true, s.pruneSeals(ctx, time.Now())
}

// pruneSeals drops the seals older than the newest once it has been recorded for
// sealKeep, and the generations no seal recorded (a seal that stopped half way) once they
// are sealAbandoned old, as of now.
func (s *AnalyticsStore) pruneSeals(ctx context.Context, now time.Time) error {
	seals, err := s.seals(ctx)
	if err != nil {
		return err
	}
	return s.prune(ctx, now, seals)
}

// prune is pruneSeals with the recorded seals already read, newest first.
func (s *AnalyticsStore) prune(ctx context.Context, now time.Time, seals []funnelSeal) error {
	recorded := make(map[uint64]bool, len(seals))
	for i, f := range seals {
		recorded[f.generation] = true
		if i > 0 && now.Sub(seals[0].sealedAt) > sealKeep {
			if err := s.dropGeneration(ctx, f.generation); err != nil {
				return err
			}
		}
	}
	var parts []string
	err := s.db.read(ctx, funnelGenerationsSQL, nil, func(rows driver.Rows) error {
		var p string
		if err := rows.Scan(&p); err != nil {
			return err
		}
		parts = append(parts, p)
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range parts {
		gen, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return fmt.Errorf("funnel_sealed partition %q is not a generation: %w", p, err)
		}
		if !recorded[gen] && now.Sub(time.Unix(0, int64(gen))) > sealAbandoned {
			if err := s.dropGeneration(ctx, gen); err != nil {
				return err
			}
		}
	}
	return nil
}

// dropGeneration drops seal gen: its record first, so that no funnel picks it any more,
// then its rows.
func (s *AnalyticsStore) dropGeneration(ctx context.Context, gen uint64) error {
	args := []any{ch.Named("generation", gen)}
	for _, st := range []statement{funnelDropSealSQL, funnelDropSealedSQL, funnelDropLevelsSQL, funnelDropCountsSQL} {
		if err := s.db.exec(ctx, st, args); err != nil {
			return err
		}
	}
	return nil
}

// FunnelSealer keeps the funnel's seal current: every interval it looks at the rollup of
// the days up to SealHorizon, and seals them when their rows have stayed the same since
// its last look and the newest seal does not hold them (a new day has closed, or rows
// arrived late). Waiting for one quiet interval keeps it from sealing again and again
// while a backfill is writing.
type FunnelSealer struct {
	store    *AnalyticsStore
	interval time.Duration
	log      *slog.Logger
}

// NewFunnelSealer returns a sealer over s looking every interval (30 s when zero).
func NewFunnelSealer(s *AnalyticsStore, interval time.Duration, log *slog.Logger) *FunnelSealer {
	if interval <= 0 {
		interval = 30 * time.Second
	}
	if log == nil {
		log = slog.Default()
	}
	return &FunnelSealer{store: s, interval: interval, log: log}
}

// Run seals until ctx ends. ClickHouse being down, or not migrated yet, is logged and
// tried again at the next look.
func (f *FunnelSealer) Run(ctx context.Context) error {
	var (
		lastHorizon time.Time
		last        fingerprint
	)
	t := time.NewTicker(f.interval)
	defer t.Stop()
	for {
		horizon := SealHorizon(time.Now())
		if print, err := f.store.fingerprint(ctx, horizon); err != nil {
			if ctx.Err() == nil {
				f.log.Warn("funnel seal: reading the rollup", "err", err)
			}
		} else {
			if horizon.Equal(lastHorizon) && print == last {
				start := time.Now()
				sealed, err := f.store.SealFunnel(ctx, horizon)
				switch {
				case err != nil && ctx.Err() == nil:
					f.log.Warn("funnel seal failed", "horizon", horizon.Format(time.DateOnly), "err", err)
				case sealed:
					f.log.Info("funnel sealed", "horizon", horizon.Format(time.DateOnly),
						"rollup_rows", print.rows, "took", time.Since(start).Round(time.Millisecond))
				}
			}
			lastHorizon, last = horizon, print
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
