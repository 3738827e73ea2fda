package domain

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// AnalyticsEvent is one row of the analytics event table: a business event (from the
// outbox) or a storefront clickstream event, flattened for columnar aggregation. One
// published event may yield several rows (an order's lines); Seq tells them apart, and
// (EventID, Seq) is unique.
type AnalyticsEvent struct {
	EventID   string
	Seq       int
	Type      string
	Service   string
	UserID    string
	SessionID string
	EntityID  string
	// AmountMinor is the event's own amount (an order's total, a line's total).
	AmountMinor int64
	// RevenueMinor is the event's contribution to revenue: the total when an order is
	// paid, minus it when a paid order is cancelled, minus the refund of a return.
	RevenueMinor int64
	// OrdersDelta is the event's contribution to the count of paid orders: +1, -1 or 0.
	OrdersDelta   int
	Currency      string
	PaymentMethod string
	ProductID     int64
	Quantity      int
	At            time.Time
	Metadata      string
}

// The sources of analytics events, by the service that produced them.
const (
	ServiceOrders     = "orders"
	ServiceCatalog    = "catalog"
	ServiceAccounts   = "accounts"
	ServicePayments   = "payments"
	ServiceStorefront = "storefront"
	ServiceShipping   = "shipping"
	ServiceReviews    = "reviews"
)

// The analytics-only row types: one per line of a paid, cancelled or returned order, for
// the top products.
const (
	AnalyticsLineSold     = "order.line.sold"
	AnalyticsLineReversed = "order.line.reversed"
)

// ToAnalytics flattens a published event into analytics rows. An event type it does not
// know yields no rows and no error (the stream carries more than analytics needs); a
// payload that cannot be decoded is an error, so the caller can park the message.
func ToAnalytics(eventID, eventType, key string, at time.Time, payload []byte) ([]AnalyticsEvent, error) {
	base := AnalyticsEvent{EventID: eventID, Type: eventType, EntityID: key, At: at.UTC(), Currency: DefaultCurrency}
	decode := func(v any) error {
		if err := json.Unmarshal(payload, v); err != nil {
			return fmt.Errorf("decoding %s payload: %w", eventType, err)
		}
		return nil
	}
	family, _, _ := strings.Cut(eventType, ".")
	switch family {
	case "order":
		var d OrderEventData
		if err := decode(&d); err != nil {
			return nil, err
		}
		if d.OrderID == 0 {
			return nil, fmt.Errorf("%s payload has no orderId", eventType)
		}
		return orderAnalytics(base, d), nil
	case "payment":
		var d PaymentEventData
		if err := decode(&d); err != nil {
			return nil, err
		}
		base.Service, base.EntityID = ServicePayments, strconv.FormatInt(d.OrderID, 10)
		base.AmountMinor, base.PaymentMethod, base.Currency = d.AmountMinor, string(d.Method), orDefault(d.Currency)
		return []AnalyticsEvent{base}, nil
	case "user":
		var d UserEventData
		if err := decode(&d); err != nil {
			return nil, err
		}
		base.Service, base.UserID = ServiceAccounts, strconv.FormatInt(d.UserID, 10)
		return []AnalyticsEvent{base}, nil
	case "product", "inventory":
		var d struct {
			ProductID int64 `json:"productId"`
			Delta     int   `json:"delta"`
		}
		if err := decode(&d); err != nil {
			return nil, err
		}
		base.Service, base.ProductID, base.Quantity = ServiceCatalog, d.ProductID, d.Delta
		return []AnalyticsEvent{base}, nil
	case "analytics":
		var d TrackedEvent
		if err := decode(&d); err != nil {
			return nil, err
		}
		return []AnalyticsEvent{TrackedRow(base, d)}, nil
	case "shipment":
		base.Service = ServiceShipping
		return []AnalyticsEvent{base}, nil
	case "rating", "comment":
		var d ReviewEventData
		if err := decode(&d); err != nil {
			return nil, err
		}
		base.Service, base.ProductID = ServiceReviews, d.ProductID
		base.UserID, base.Quantity = strconv.FormatInt(d.UserID, 10), d.Rating
		return []AnalyticsEvent{base}, nil
	}
	return nil, nil
}

// TrackedRow returns the analytics row of the clickstream event d, on base (the event id,
// its key and, when d has no time, the time it was published with): a single published
// analytics.* event and each event of a batch of them make the same row.
func TrackedRow(base AnalyticsEvent, d TrackedEvent) AnalyticsEvent {
	base.Type = d.Type.AnalyticsType()
	base.Service, base.SessionID, base.UserID = ServiceStorefront, d.SessionID, d.UserID
	base.ProductID, base.Metadata = d.ProductID, d.Metadata
	if !d.At.IsZero() {
		base.At = d.At.UTC()
	}
	return base
}

func orDefault(currency string) string {
	if currency == "" {
		return DefaultCurrency
	}
	return currency
}

// orderAnalytics applies the revenue rule: revenue counts every order that was paid,
// whatever its status since, plus what amendments charged, minus what they refunded and
// the refunds of returns; cancelled orders do not count (a paid order that is cancelled
// takes its revenue, as amended, and its count back). An amendment's line changes are
// products sold (more units) or reversed (fewer), so that a later cancellation, which
// reverses the lines as they then are, leaves the top products even.
func orderAnalytics(base AnalyticsEvent, d OrderEventData) []AnalyticsEvent {
	base.Service = ServiceOrders
	base.EntityID = strconv.FormatInt(d.OrderID, 10)
	if d.UserID != 0 {
		base.UserID = strconv.FormatInt(d.UserID, 10)
	}
	base.SessionID = d.SessionID
	base.AmountMinor, base.Currency, base.PaymentMethod = d.TotalMinor, orDefault(d.Currency), string(d.PaymentMethod)
	lineType := ""
	switch {
	case d.Kind.OrZero() != KindStatusChanged:
		// Amendments and return steps: the money they moved, whatever the status.
		base.RevenueMinor = d.ChargeMinor - d.RefundMinor
		base.AmountMinor = d.ChargeMinor + d.RefundMinor
		return append([]AnalyticsEvent{base}, lineChangeRows(base, d.LineChanges)...)
	case d.Status == StatusPaid:
		base.RevenueMinor, base.OrdersDelta = d.TotalMinor, 1
		lineType = AnalyticsLineSold
	case d.Status == StatusCancelled && d.Previous == StatusPaid:
		base.RevenueMinor, base.OrdersDelta = -d.TotalMinor, -1
		lineType = AnalyticsLineReversed
	case d.Status == StatusReturned:
		base.RevenueMinor, base.AmountMinor = -d.RefundMinor, d.RefundMinor
	}
	rows := []AnalyticsEvent{base}
	if lineType == "" {
		return rows
	}
	for i, l := range d.Lines {
		r := base
		r.Seq, r.Type = i+1, lineType
		r.ProductID, r.Quantity = l.ProductID, l.Quantity
		r.AmountMinor = l.UnitPriceMinor * int64(l.Quantity)
		r.RevenueMinor, r.OrdersDelta = r.AmountMinor, 0
		if lineType == AnalyticsLineReversed {
			r.RevenueMinor, r.Quantity = -r.AmountMinor, -l.Quantity
		}
		rows = append(rows, r)
	}
	return rows
}

// TrackEventType is a kind of storefront clickstream event.
type TrackEventType string

// The clickstream event types.
const (
	TrackPageViewed      TrackEventType = "PAGE_VIEWED"
	TrackProductViewed   TrackEventType = "PRODUCT_VIEWED"
	TrackSearched        TrackEventType = "SEARCHED"
	TrackAddedToCart     TrackEventType = "ADDED_TO_CART"
	TrackCheckoutStarted TrackEventType = "CHECKOUT_STARTED"
)

// AnalyticsType returns the event type of t's events, such as "analytics.page_viewed":
// the subject a single one is published on, and the type of its analytics row.
func (t TrackEventType) AnalyticsType() string {
	switch t { // the known ones without allocating: the ingester converts millions
	case TrackPageViewed:
		return "analytics.page_viewed"
	case TrackProductViewed:
		return "analytics.product_viewed"
	case TrackSearched:
		return "analytics.searched"
	case TrackAddedToCart:
		return "analytics.added_to_cart"
	case TrackCheckoutStarted:
		return "analytics.checkout_started"
	}
	return "analytics." + strings.ToLower(string(t))
}

// Valid reports whether t is a known clickstream type.
func (t TrackEventType) Valid() bool {
	switch t {
	case TrackPageViewed, TrackProductViewed, TrackSearched, TrackAddedToCart, TrackCheckoutStarted:
		return true
	}
	return false
}

// Clickstream limits.
const (
	MaxTrackBatch       = 100
	MaxSessionIDLength  = 128
	MaxTrackQueryLength = 200
	MaxMetadataLength   = 2048
	// TrackClockSkew is how far from the server's clock a client's timestamp may be.
	TrackClockSkew = 24 * time.Hour
)

// TrackedEvent is a validated clickstream event, the payload of analytics.* messages.
type TrackedEvent struct {
	ID        string         `json:"id"`
	Type      TrackEventType `json:"type"`
	SessionID string         `json:"sessionId"`
	UserID    string         `json:"userId,omitempty"`
	ProductID int64          `json:"productId,omitempty"`
	Query     string         `json:"query,omitempty"`
	At        time.Time      `json:"at"`
	Metadata  string         `json:"metadata,omitempty"`
}

// Validate returns the problems of the event, blaming fields under events.<index>.
func (e TrackedEvent) Validate(index int, now time.Time) []*Error {
	path := func(f string) []string { return []string{"events", strconv.Itoa(index), f} }
	var errs []*Error
	if !e.Type.Valid() {
		errs = append(errs, FieldError(path("type"), "unknown event type"))
	}
	if e.SessionID == "" || len(e.SessionID) > MaxSessionIDLength || !validText(e.SessionID) {
		errs = append(errs, FieldError(path("sessionId"), "sessionId must be 1 to %d characters", MaxSessionIDLength))
	}
	if utf8.RuneCountInString(e.Query) > MaxTrackQueryLength || !validText(e.Query) {
		errs = append(errs, FieldError(path("query"), "query must be at most %d characters of text", MaxTrackQueryLength))
	}
	if len(e.Metadata) > MaxMetadataLength || !validText(e.Metadata) {
		errs = append(errs, FieldError(path("metadata"), "metadata must be at most %d bytes of text", MaxMetadataLength))
	}
	if e.At.Before(now.Add(-TrackClockSkew)) || e.At.After(now.Add(TrackClockSkew)) {
		errs = append(errs, FieldError(path("at"), "at must be within a day of now"))
	}
	if (e.Type == TrackProductViewed || e.Type == TrackAddedToCart) && e.ProductID == 0 {
		errs = append(errs, FieldError(path("productId"), "%s needs a productId", e.Type))
	}
	return errs
}

// AnalyticsPublisher sends clickstream events to the event log, never to the analytics
// database directly.
type AnalyticsPublisher interface {
	// PublishTracked publishes the events, each under its id for deduplication.
	PublishTracked(ctx context.Context, evs []TrackedEvent) error
}

// lineChangeRows returns the product rows of an amendment's line changes: sold for units
// added, reversed for units removed.
func lineChangeRows(base AnalyticsEvent, changes []OrderLineData) []AnalyticsEvent {
	var rows []AnalyticsEvent
	for i, l := range changes {
		if l.Quantity == 0 {
			continue
		}
		r := base
		r.Seq, r.Type, r.OrdersDelta = i+1, AnalyticsLineSold, 0
		r.ProductID, r.Quantity = l.ProductID, l.Quantity
		r.RevenueMinor = l.UnitPriceMinor * int64(l.Quantity)
		r.AmountMinor = r.RevenueMinor
		if l.Quantity < 0 {
			r.Type, r.AmountMinor = AnalyticsLineReversed, -r.AmountMinor
		}
		rows = append(rows, r)
	}
	return rows
}
