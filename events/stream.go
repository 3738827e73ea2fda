package events

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// DefaultStream is the name of the stream that holds shopgraph's events.
const DefaultStream = "SHOPGRAPH"

// The stream's defaults.
const (
	// DefaultMaxAge is how long the stream keeps an event: long enough for a consumer
	// (the analytics ingester) to come back from a long outage.
	DefaultMaxAge = 7 * 24 * time.Hour
	// DuplicateWindow is how long the stream remembers message ids, so that the relay's
	// retries of one event within it are stored once. The analytics table counts each
	// event once only if its duplicates arrive within the window (or as redeliveries), so
	// it is generous; its cost is the server's memory for one id per event published in it.
	DuplicateWindow = 15 * time.Minute
)

// StreamConfig describes the events stream.
type StreamConfig struct {
	// Name is the stream's name; empty means DefaultStream.
	Name string
	// Subjects names the subjects the stream captures (Subjects.Filters).
	Subjects Subjects
	// MaxAge is how long messages are kept; zero means DefaultMaxAge.
	MaxAge time.Duration
	// Replicas is the number of copies in a NATS cluster; zero means one.
	Replicas int
}

// EnsureStream creates the events stream, or updates it to cfg when it exists, and returns
// it. The stream is file-backed, keeps messages for MaxAge, and drops a message whose
// Nats-Msg-Id it has seen within DuplicateWindow. It is safe to call from every replica at
// start-up. EnsureStream returns an error when JetStream does not answer or refuses the
// configuration (for instance subjects that overlap another stream's).
func EnsureStream(ctx context.Context, js jetstream.JetStream, cfg StreamConfig) (jetstream.Stream, error) {
	sc := jetstream.StreamConfig{
		Name:        cfg.Name,
		Description: "shopgraph events, published from the transactional outbox",
		Subjects:    cfg.Subjects.Filters(),
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		Storage:     jetstream.FileStorage,
		MaxAge:      cfg.MaxAge,
		Duplicates:  DuplicateWindow,
		Replicas:    cfg.Replicas,
	}
	if sc.Name == "" {
		sc.Name = DefaultStream
	}
	if sc.MaxAge <= 0 {
		sc.MaxAge = DefaultMaxAge
	}
	if sc.Replicas <= 0 {
		sc.Replicas = 1
	}
	s, err := js.CreateOrUpdateStream(ctx, sc)
	if err != nil {
		return nil, fmt.Errorf("ensuring stream %s: %w", sc.Name, err)
	}
	return s, nil
}
