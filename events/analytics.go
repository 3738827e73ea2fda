package events

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/shopgraph/shopgraph/domain"
)

// TrackPublisher publishes storefront clickstream events to JetStream, on
// analytics.<type> subjects, each with its event id as the message id. It never writes to
// the analytics database: the ingester does, at its own pace.
type TrackPublisher struct {
	js       jetstream.JetStream
	subjects Subjects
	timeout  time.Duration
}

var _ domain.AnalyticsPublisher = (*TrackPublisher)(nil)

// NewTrackPublisher returns a publisher on js under subjects.
func NewTrackPublisher(js jetstream.JetStream, subjects Subjects) *TrackPublisher {
	return &TrackPublisher{js: js, subjects: subjects, timeout: 2 * time.Second}
}

// PublishTracked publishes the events asynchronously and waits for every
// acknowledgement. An error means some events may not have been stored; resending the
// batch is safe, since the stream drops duplicates by id.
func (p *TrackPublisher) PublishTracked(ctx context.Context, evs []domain.TrackedEvent) error {
	futures := make([]jetstream.PubAckFuture, 0, len(evs))
	for _, e := range evs {
		body, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("encoding tracked event: %w", err)
		}
		typ := "analytics." + strings.ToLower(string(e.Type))
		msg := &nats.Msg{Subject: p.subjects.For(typ), Data: body, Header: nats.Header{}}
		msg.Header.Set(HeaderEventType, typ)
		msg.Header.Set(HeaderEventKey, e.SessionID)
		msg.Header.Set(HeaderEventAt, e.At.UTC().Format(time.RFC3339Nano))
		f, err := p.js.PublishMsgAsync(msg, jetstream.WithMsgID(e.ID))
		if err != nil {
			return fmt.Errorf("publishing tracked events: %w", err)
		}
		futures = append(futures, f)
	}
	timer := time.NewTimer(p.timeout)
	defer timer.Stop()
	for _, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return fmt.Errorf("publishing tracked events: %w", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return fmt.Errorf("publishing tracked events: no acknowledgement within %s", p.timeout)
		}
	}
	return nil
}
