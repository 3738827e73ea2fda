package events

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/shopgraph/shopgraph/domain"
)

// Storefront clickstream events travel many to a message: one message per event made the
// NATS server (storing, remembering message ids, delivering, one acknowledgement each)
// the bottleneck of analytics ingestion. The analytics ingester alone reads them (the
// subscription hub, the shipping consumer and the cache invalidator listen to other
// families), so their shape is the ingester's business:
//
//   - the subject is Subjects.For(TrackedBatchType), "analytics.batch";
//   - HeaderEventType is TrackedBatchType and HeaderEventCount the number of events;
//   - Nats-Msg-Id is "analytics-batch-" and 32 hex digits of the SHA-256 of the events'
//     ids (16 bytes each, in order), so that the stream drops a message sent again with
//     the same events, as it did with one event per message;
//   - the payload is a sequence of events in the protocol-buffer wire format, each
//     field 1 (length-delimited) of a TrackedBatch:
//
//     message TrackedBatch { repeated TrackedEvent events = 1; }
//     message TrackedEvent {
//       bytes  id          = 1; // the event id, a UUID's 16 bytes
//       string type        = 2; // domain.TrackEventType, such as "PAGE_VIEWED"
//       string session_id  = 3;
//       string user_id     = 4;
//       int64  product_id  = 5;
//       string query       = 6;
//       sint64 at_unix_ns  = 7; // when it happened, nanoseconds since 1970 UTC
//       string metadata    = 8;
//     }
//
// A compact binary payload, not JSON: decoding JSON was most of the ingester's work per
// event. Unknown fields are skipped, so that fields can be added.
//
// Single-event messages (analytics.<type>, a domain.TrackedEvent in JSON, the event id
// as message id) are what shopgraph published before; the ingester still reads them. An
// ingester of that time parks a batch message (it cannot decode it), so ingesters are
// upgraded before the API processes.

// TrackedBatchType is the event type, and under the prefix the subject, of a batch of
// clickstream events.
const TrackedBatchType = "analytics.batch"

// trackedBatchMsgIDPrefix starts the message id of a batch.
const trackedBatchMsgIDPrefix = "analytics-batch-"

// DefaultTrackBatchBytes bounds the payload of one batch message, well under the NATS
// server's default max_payload of 1 MiB: about 3,000 events of a storefront.
const DefaultTrackBatchBytes = 256 << 10

// trackMaxInFlight is how many batch messages a TrackPublisher has on their way to the
// stream at once. While they are, the calls that come in share the next message: the
// busier the stream, the fuller the messages.
const trackMaxInFlight = 2

// The field numbers of the batch's wire format.
const (
	tbEvent     protowire.Number = 1
	teID        protowire.Number = 1
	teType      protowire.Number = 2
	teSession   protowire.Number = 3
	teUser      protowire.Number = 4
	teProduct   protowire.Number = 5
	teQuery     protowire.Number = 6
	teAt        protowire.Number = 7
	teMetadata  protowire.Number = 8
	uuidByteLen                  = 16
)

// AppendTrackedEvent appends e to a batch payload. It returns an error when e's id is not
// a UUID.
func AppendTrackedEvent(b []byte, e *domain.TrackedEvent) ([]byte, error) {
	id, err := uuid.Parse(e.ID)
	if err != nil {
		return b, fmt.Errorf("tracked event id %q is not a UUID", e.ID)
	}
	size := protowire.SizeTag(teID) + protowire.SizeBytes(uuidByteLen) +
		strField(teType, string(e.Type)) + strField(teSession, e.SessionID) + strField(teUser, e.UserID) +
		strField(teQuery, e.Query) + strField(teMetadata, e.Metadata) +
		protowire.SizeTag(teAt) + protowire.SizeVarint(protowire.EncodeZigZag(e.At.UnixNano()))
	if e.ProductID != 0 {
		size += protowire.SizeTag(teProduct) + protowire.SizeVarint(uint64(e.ProductID))
	}
	b = protowire.AppendTag(b, tbEvent, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(size))
	b = protowire.AppendTag(b, teID, protowire.BytesType)
	b = protowire.AppendBytes(b, id[:])
	b = appendStr(b, teType, string(e.Type))
	b = appendStr(b, teSession, e.SessionID)
	b = appendStr(b, teUser, e.UserID)
	if e.ProductID != 0 {
		b = protowire.AppendTag(b, teProduct, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(e.ProductID))
	}
	b = appendStr(b, teQuery, e.Query)
	b = protowire.AppendTag(b, teAt, protowire.VarintType)
	b = protowire.AppendVarint(b, protowire.EncodeZigZag(e.At.UnixNano()))
	b = appendStr(b, teMetadata, e.Metadata)
	return b, nil
}

func strField(n protowire.Number, s string) int {
	if s == "" {
		return 0
	}
	return protowire.SizeTag(n) + protowire.SizeBytes(len(s))
}

func appendStr(b []byte, n protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, n, protowire.BytesType)
	return protowire.AppendString(b, s)
}

// DecodeTrackedBatch calls f with each event of a batch payload, in order, and the
// index of the event; it stops at the first error, f's or the payload's. An event must
// have a 16-byte id, a type and a time.
func DecodeTrackedBatch(p []byte, f func(i int, e *domain.TrackedEvent) error) error {
	var e, prev domain.TrackedEvent
	for i := 0; len(p) > 0; i++ {
		num, typ, n := protowire.ConsumeTag(p)
		if n < 0 {
			return fmt.Errorf("event %d: %w", i, protowire.ParseError(n))
		}
		p = p[n:]
		if num != tbEvent || typ != protowire.BytesType {
			n = protowire.ConsumeFieldValue(num, typ, p)
			if n < 0 {
				return fmt.Errorf("event %d: %w", i, protowire.ParseError(n))
			}
			p, i = p[n:], i-1
			continue
		}
		body, n := protowire.ConsumeBytes(p)
		if n < 0 {
			return fmt.Errorf("event %d: %w", i, protowire.ParseError(n))
		}
		p = p[n:]
		e = domain.TrackedEvent{}
		if err := decodeTrackedEvent(body, &e, &prev); err != nil {
			return fmt.Errorf("event %d: %w", i, err)
		}
		prev = e
		if err := f(i, &e); err != nil {
			return err
		}
	}
	return nil
}

// decodeTrackedEvent decodes one TrackedEvent into e. The events of a session come
// together, so e shares the strings of its session and user with prev, the event before,
// when they are the same.
func decodeTrackedEvent(p []byte, e, prev *domain.TrackedEvent) error {
	var hasID, hasAt bool
	for len(p) > 0 {
		num, typ, n := protowire.ConsumeTag(p)
		if n < 0 {
			return protowire.ParseError(n)
		}
		p = p[n:]
		switch {
		case typ == protowire.BytesType && num >= teID && num <= teMetadata && num != teProduct && num != teAt:
			v, n := protowire.ConsumeBytes(p)
			if n < 0 {
				return fmt.Errorf("field %d: %w", num, protowire.ParseError(n))
			}
			p = p[n:]
			switch num {
			case teID:
				u, err := uuid.FromBytes(v)
				if err != nil {
					return fmt.Errorf("the event id is %d bytes, not a UUID's 16", len(v))
				}
				e.ID, hasID = u.String(), true
			case teType:
				e.Type = trackTypeOf(v)
			case teSession:
				e.SessionID = same(v, prev.SessionID)
			case teUser:
				e.UserID = same(v, prev.UserID)
			case teQuery:
				e.Query = string(v)
			case teMetadata:
				e.Metadata = string(v)
			}
		case typ == protowire.VarintType && (num == teProduct || num == teAt):
			v, n := protowire.ConsumeVarint(p)
			if n < 0 {
				return fmt.Errorf("field %d: %w", num, protowire.ParseError(n))
			}
			p = p[n:]
			if num == teProduct {
				e.ProductID = int64(v)
			} else {
				e.At, hasAt = time.Unix(0, protowire.DecodeZigZag(v)).UTC(), true
			}
		default:
			if num >= teID && num <= teMetadata {
				return fmt.Errorf("field %d has wire type %d", num, typ)
			}
			n := protowire.ConsumeFieldValue(num, typ, p)
			if n < 0 {
				return fmt.Errorf("field %d: %w", num, protowire.ParseError(n))
			}
			p = p[n:]
		}
	}
	switch {
	case !hasID:
		return errors.New("no event id")
	case e.Type == "":
		return errors.New("no event type")
	case !hasAt:
		return fmt.Errorf("event %s has no time", e.ID)
	}
	return nil
}

// same returns s when it spells b, else b as a new string.
func same(b []byte, s string) string {
	if string(b) == s {
		return s
	}
	return string(b)
}

// trackTypeOf returns the type named by b, without allocating for the known ones.
func trackTypeOf(b []byte) domain.TrackEventType {
	for _, t := range [...]domain.TrackEventType{domain.TrackPageViewed, domain.TrackProductViewed,
		domain.TrackSearched, domain.TrackAddedToCart, domain.TrackCheckoutStarted} {
		if string(b) == string(t) {
			return t
		}
	}
	return domain.TrackEventType(b)
}

// TrackedBatchMsgID returns the message id of a batch whose events have ids, given as
// their 16 bytes one after the other.
func TrackedBatchMsgID(ids []byte) string {
	sum := sha256.Sum256(ids)
	return trackedBatchMsgIDPrefix + hex.EncodeToString(sum[:16])
}

// TrackPublisher publishes storefront clickstream events to JetStream, many to a message
// (see TrackedBatchType). It never writes to the analytics database: the ingester does,
// at its own pace.
//
// Concurrent calls share messages: a call's events go out at once when fewer than two
// messages are on their way, and otherwise wait, with those of the calls that come in
// meanwhile, for the next message (up to DefaultTrackBatchBytes of events; a call's
// events are never split). A quiet storefront thus sends each call in a message of its
// own, without delay, and a busy one sends fewer, fuller messages as the stream slows.
type TrackPublisher struct {
	js       jetstream.JetStream
	subjects Subjects
	timeout  time.Duration
	maxBytes int

	mu      sync.Mutex
	queue   []*trackBatch // waiting to be sent; the last one takes more events
	sending int           // messages on their way
}

// trackBatch is the payload of one message being filled, and the outcome of its
// publication once done is closed.
type trackBatch struct {
	data []byte
	ids  hash.Hash // of the events' ids, in order
	n    int
	done chan struct{}
	err  error
}

var _ domain.AnalyticsPublisher = (*TrackPublisher)(nil)

// NewTrackPublisher returns a publisher on js under subjects.
func NewTrackPublisher(js jetstream.JetStream, subjects Subjects) *TrackPublisher {
	return &TrackPublisher{js: js, subjects: subjects, timeout: 2 * time.Second, maxBytes: DefaultTrackBatchBytes}
}

// PublishTracked publishes the events, in one message with those of concurrent calls,
// and waits for the stream's acknowledgement. An error means the events may not have
// been stored. Sent again alone, as a quiet storefront sends a call, the events make the
// same message id, which the stream drops within its duplicate window when it stored
// them; sent again among other events, they may be stored twice.
func (p *TrackPublisher) PublishTracked(ctx context.Context, evs []domain.TrackedEvent) error {
	if len(evs) == 0 {
		return nil
	}
	var data, ids []byte
	for i := range evs {
		var err error
		if data, err = AppendTrackedEvent(data, &evs[i]); err != nil {
			return fmt.Errorf("encoding tracked event: %w", err)
		}
		u, _ := uuid.Parse(evs[i].ID) // parsed above
		ids = append(ids, u[:]...)
	}
	timer := time.NewTimer(p.timeout)
	defer timer.Stop()
	p.mu.Lock()
	b := p.open(len(data))
	b.data = append(b.data, data...)
	b.ids.Write(ids)
	b.n += len(evs)
	p.sendReady()
	p.mu.Unlock()
	select {
	case <-b.done:
		if b.err != nil {
			return fmt.Errorf("publishing tracked events: %w", b.err)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return fmt.Errorf("publishing tracked events: no acknowledgement within %s", p.timeout)
	}
}

// open returns the batch that takes size more bytes: the last one waiting, when it has
// room, or a new one. p.mu is held.
func (p *TrackPublisher) open(size int) *trackBatch {
	if k := len(p.queue); k > 0 {
		if b := p.queue[k-1]; len(b.data)+size <= p.maxBytes {
			return b
		}
	}
	b := &trackBatch{ids: sha256.New(), done: make(chan struct{})}
	p.queue = append(p.queue, b)
	return b
}

// sendReady sends the waiting batches while fewer than trackMaxInFlight are on their
// way. p.mu is held.
func (p *TrackPublisher) sendReady() {
	for p.sending < trackMaxInFlight && len(p.queue) > 0 {
		b := p.queue[0]
		p.queue[0] = nil
		p.queue = p.queue[1:]
		p.sending++
		go p.send(b)
	}
}

// send publishes b, records the outcome, sends what waits, and wakes b's callers.
func (p *TrackPublisher) send(b *trackBatch) {
	sum := b.ids.Sum(nil)
	msg := &nats.Msg{Subject: p.subjects.For(TrackedBatchType), Data: b.data, Header: nats.Header{}}
	msg.Header.Set(HeaderEventType, TrackedBatchType)
	msg.Header.Set(HeaderEventCount, strconv.Itoa(b.n))
	ctx, cancel := context.WithTimeout(context.Background(), p.timeout)
	_, b.err = p.js.PublishMsg(ctx, msg, jetstream.WithMsgID(trackedBatchMsgIDPrefix+hex.EncodeToString(sum[:16])))
	cancel()
	p.mu.Lock()
	p.sending--
	p.sendReady()
	p.mu.Unlock()
	close(b.done)
}
