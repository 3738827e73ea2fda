package events

// Subject names live here and nowhere else.
//
// An event of type "order.paid" is published on the subject "order.paid", or
// "<prefix>.order.paid" under a prefix (tests use a random one, so that they never see
// each other's messages on a shared server). The stream captures every event family below
// with one wildcard subject each.

// The event families: the first token of every event type (see the domain.Event* types).
// An event whose family is missing here lands in no stream, and the relay cannot publish it.
const (
	FamilyProduct   = "product"
	FamilyInventory = "inventory"
	FamilyUser      = "user"
	FamilyOrder     = "order"
	FamilyPayment   = "payment"
	FamilyAnalytics = "analytics"
	FamilyShipment  = "shipment"
	FamilyRating    = "rating"
	FamilyComment   = "comment"
	FamilyReturn    = "return"
)

// families lists the event families, in the order of the stream's subjects.
var families = [...]string{
	FamilyProduct, FamilyInventory, FamilyUser, FamilyOrder,
	FamilyPayment, FamilyAnalytics, FamilyShipment, FamilyRating, FamilyComment, FamilyReturn,
}

// Subjects names the NATS subjects of shopgraph's events. The zero value names the
// production subjects.
type Subjects struct {
	// Prefix, when not empty, is put with a dot before every subject. It must be a valid
	// subject (dot-separated tokens, no wildcards, no spaces).
	Prefix string
}

// For returns the subject that events of type eventType are published on.
func (s Subjects) For(eventType string) string {
	if s.Prefix == "" {
		return eventType
	}
	return s.Prefix + "." + eventType
}

// Filters returns the stream's subjects: one wildcard subject per event family, such as
// "order.>", under the prefix. It returns a new slice on each call.
func (s Subjects) Filters() []string {
	out := make([]string, len(families))
	for i, f := range families {
		out[i] = s.For(f + ".>")
	}
	return out
}

// The headers the relay puts on every event message, besides Nats-Msg-Id (the event id),
// so that a consumer can route and order without decoding the payload.
const (
	// HeaderEventType carries the event type, such as "order.paid".
	HeaderEventType = "Shopgraph-Event-Type"
	// HeaderEventKey carries the id of the entity the event is about.
	HeaderEventKey = "Shopgraph-Event-Key"
	// HeaderEventAt carries when the event occurred, in RFC 3339 with nanoseconds, UTC.
	HeaderEventAt = "Shopgraph-Event-At"
	// HeaderEventCount carries the number of events of a message that holds several (a
	// batch of clickstream events, TrackedBatchType).
	HeaderEventCount = "Shopgraph-Event-Count"
)
