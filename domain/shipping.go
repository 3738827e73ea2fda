package domain

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// ShippingType names what a shipping provider tells us about a parcel. It is the "type"
// of a shipping message; its part after "shipment." is the last token of the message's
// subject ("shipping.delivered" carries "shipment.delivered").
type ShippingType string

// The shipping message types. They are inbound messages from providers, not events that
// shopgraph publishes: EventShipmentDispatched is a different thing with a similar name.
const (
	ShippingDispatched     ShippingType = "shipment.dispatched"
	ShippingInTransit      ShippingType = "shipment.in_transit"
	ShippingDelivered      ShippingType = "shipment.delivered"
	ShippingDeliveryFailed ShippingType = "shipment.delivery_failed"
)

// AllShippingTypes lists the shipping message types in the order a parcel meets them.
var AllShippingTypes = []ShippingType{ShippingDispatched, ShippingInTransit, ShippingDelivered, ShippingDeliveryFailed}

// Valid reports whether t is a known shipping message type.
func (t ShippingType) Valid() bool {
	for _, x := range AllShippingTypes {
		if t == x {
			return true
		}
	}
	return false
}

// Kind returns the type without its "shipment." prefix, such as "delivered": the last
// token of the subject the message travels on. It returns "" for an unknown type.
func (t ShippingType) Kind() string {
	if !t.Valid() {
		return ""
	}
	return strings.TrimPrefix(string(t), "shipment.")
}

// Limits on shipping messages.
const (
	MaxOrderNumberLength  = 64
	MaxShippingEventIDLen = 200
)

// ShippingMessage is what a shipping provider publishes about a parcel: the wire format
// of the shipping.* subjects, documented in the README. Orders are keyed by their number,
// the one reference a carrier is given.
type ShippingMessage struct {
	Type           ShippingType `json:"type"`
	OrderNumber    string       `json:"orderNumber"`
	Carrier        string       `json:"carrier"`
	TrackingNumber string       `json:"trackingNumber"`
	// At is when the provider saw the parcel do this. It is logged; the order's status
	// history records when shopgraph applied the message.
	At time.Time `json:"at"`
	// EventID is the provider's unique id of the message, also its Nats-Msg-Id.
	EventID string `json:"eventId"`
	// Note is the provider's free text, such as why a delivery failed. It is logged and
	// never shown to the customer.
	Note string `json:"note,omitempty"`
}

// Normalize trims every text field and upper-cases the order number, which carriers
// sometimes echo in lower case.
func (m ShippingMessage) Normalize() ShippingMessage {
	t := strings.TrimSpace
	m.Type = ShippingType(t(string(m.Type)))
	m.OrderNumber = strings.ToUpper(t(m.OrderNumber))
	m.Carrier, m.TrackingNumber, m.EventID, m.Note = t(m.Carrier), t(m.TrackingNumber), t(m.EventID), t(m.Note)
	return m
}

// Shipment returns the parcel the message is about.
func (m ShippingMessage) Shipment() Shipment {
	return Shipment{Carrier: m.Carrier, TrackingNumber: m.TrackingNumber}
}

// Validate returns the problems of a normalized message, each a BAD_USER_INPUT *Error
// naming the JSON field at fault. Every field but note is required, whatever the type.
func (m ShippingMessage) Validate() []*Error {
	var errs []*Error
	if !m.Type.Valid() {
		errs = append(errs, FieldError([]string{"type"}, "type %q is not a known shipping message type", clipRunes(string(m.Type), 60)))
	}
	if m.OrderNumber == "" || utf8.RuneCountInString(m.OrderNumber) > MaxOrderNumberLength || !validText(m.OrderNumber) {
		errs = append(errs, FieldError([]string{"orderNumber"}, "orderNumber must be 1 to %d characters of text", MaxOrderNumberLength))
	}
	errs = append(errs, m.Shipment().Validate()...)
	if m.At.IsZero() {
		errs = append(errs, FieldError([]string{"at"}, "at must be an RFC 3339 time"))
	}
	if m.EventID == "" || utf8.RuneCountInString(m.EventID) > MaxShippingEventIDLen || !validText(m.EventID) {
		errs = append(errs, FieldError([]string{"eventId"}, "eventId must be 1 to %d characters of text", MaxShippingEventIDLen))
	}
	if utf8.RuneCountInString(m.Note) > MaxNoteLength || !validText(m.Note) {
		errs = append(errs, FieldError([]string{"note"}, "note must be at most %d characters of text", MaxNoteLength))
	}
	return errs
}

// clipRunes returns s cut to at most n runes, for quoting untrusted input in messages.
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// ShippingAction says what a shipping message does to its order.
type ShippingAction int

// The shipping actions.
const (
	// ShippingApply: apply the decision's transitions, in order.
	ShippingApply ShippingAction = iota + 1
	// ShippingIgnore: nothing to change. The message repeats what the order already
	// shows, comes after the order moved on, or only informs.
	ShippingIgnore
	// ShippingReject: the message contradicts the order in a way no rule settles; a
	// person must look at it.
	ShippingReject
)

// String returns the action's name, for logs.
func (a ShippingAction) String() string {
	switch a {
	case ShippingApply:
		return "apply"
	case ShippingIgnore:
		return "ignore"
	case ShippingReject:
		return "reject"
	}
	return fmt.Sprintf("ShippingAction(%d)", int(a))
}

// ShippingDecision is what DecideShipping rules.
type ShippingDecision struct {
	Action ShippingAction
	// Transitions, for ShippingApply, are the steps to take in order, each with Expect
	// set: applied to an order that has moved meanwhile, a step fails with STALE and
	// changes nothing.
	Transitions []Transition
	// Reason says why nothing changes, for ShippingIgnore and ShippingReject.
	Reason string
	// Warn, for ShippingIgnore, marks messages that deserve a person's attention though
	// nothing can be done automatically: a failed delivery, a parcel for an order that
	// is not paid or was cancelled, a second dispatch with another tracking number.
	Warn bool
}

// DecideShipping returns what the normalized, valid message m does to order o, as o is
// now. It is a pure function: the caller applies the transitions, and when one of them
// is STALE or ILLEGAL_TRANSITION (the order moved meanwhile) reads the order again and
// asks again, so a repeated or late message changes nothing and a concurrent change is
// never overwritten.
//
// The rules:
//   - dispatched: a PAID order becomes SHIPPED with the message's carrier and tracking
//     number; any later status ignores it.
//   - in_transit: no status change.
//   - delivered: a SHIPPED order becomes DELIVERED, provided the tracking number matches
//     the order's recorded shipment (case and surrounding spaces aside); a mismatch is
//     rejected, since the parcel delivered may not be this order's. A PAID order (the
//     dispatch message was lost or is late) first becomes SHIPPED with the message's
//     carrier and tracking number, then DELIVERED. DELIVERED or RETURNED orders ignore it.
//   - delivery_failed: no status change; ignored with a warning.
//
// A message for a PENDING or CANCELLED order is ignored with a warning: the state machine
// has no way from there to SHIPPED, and a parcel for such an order needs a person.
func DecideShipping(o Order, m ShippingMessage) ShippingDecision {
	ignore := func(warn bool, format string, args ...any) ShippingDecision {
		return ShippingDecision{Action: ShippingIgnore, Reason: fmt.Sprintf(format, args...), Warn: warn}
	}
	ship := Transition{To: StatusShipped, Expect: StatusPaid, Shipment: &Shipment{Carrier: m.Carrier, TrackingNumber: m.TrackingNumber}}
	deliver := Transition{To: StatusDelivered, Expect: StatusShipped}

	switch m.Type {
	case ShippingInTransit:
		return ignore(false, "in transit: no status change")
	case ShippingDeliveryFailed:
		return ignore(true, "delivery failed: no status change")
	}
	if o.Status == StatusPending || o.Status == StatusCancelled {
		return ignore(true, "the order is %s: a parcel cannot be %s", o.Status, m.Type.Kind())
	}
	switch m.Type {
	case ShippingDispatched:
		switch o.Status {
		case StatusPaid:
			return ShippingDecision{Action: ShippingApply, Transitions: []Transition{ship}}
		case StatusShipped:
			if o.Shipment != nil && !sameTracking(o.Shipment.TrackingNumber, m.TrackingNumber) {
				return ignore(true, "the order was already shipped with tracking number %s", o.Shipment.TrackingNumber)
			}
			return ignore(false, "the order is already SHIPPED")
		}
		return ignore(false, "the order is already %s", o.Status)
	case ShippingDelivered:
		switch o.Status {
		case StatusPaid:
			return ShippingDecision{Action: ShippingApply, Transitions: []Transition{ship, deliver}}
		case StatusShipped:
			if o.Shipment != nil && !sameTracking(o.Shipment.TrackingNumber, m.TrackingNumber) {
				return ShippingDecision{Action: ShippingReject, Reason: fmt.Sprintf(
					"tracking number %s does not match the order's shipment %s", clipRunes(m.TrackingNumber, 100), o.Shipment.TrackingNumber)}
			}
			return ShippingDecision{Action: ShippingApply, Transitions: []Transition{deliver}}
		}
		return ignore(false, "the order is already %s", o.Status)
	}
	return ShippingDecision{Action: ShippingReject, Reason: fmt.Sprintf("unknown shipping message type %q", clipRunes(string(m.Type), 60))}
}

// sameTracking reports whether two tracking numbers name the same parcel.
func sameTracking(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}
