package domain

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func shippingMsg(typ ShippingType, tracking string) ShippingMessage {
	return ShippingMessage{Type: typ, OrderNumber: "SG-000123", Carrier: "DHL", TrackingNumber: tracking,
		At: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), EventID: "ev-1"}
}

// TestDecideShipping checks the mapping rule message by message and status by status.
func TestDecideShipping(t *testing.T) {
	t.Parallel()
	shipped := &Shipment{Carrier: "DHL", TrackingNumber: "JD0001"}
	ship := Transition{To: StatusShipped, Expect: StatusPaid, Shipment: &Shipment{Carrier: "DHL", TrackingNumber: "JD0001"}}
	deliver := Transition{To: StatusDelivered, Expect: StatusShipped}
	tests := []struct {
		name     string
		typ      ShippingType
		status   OrderStatus
		shipment *Shipment
		tracking string
		want     ShippingAction
		steps    []Transition
		warn     bool
		reason   string // a part of the reason
	}{
		{"dispatched paid", ShippingDispatched, StatusPaid, nil, "JD0001", ShippingApply, []Transition{ship}, false, ""},
		{"dispatched again", ShippingDispatched, StatusShipped, shipped, "JD0001", ShippingIgnore, nil, false, "already SHIPPED"},
		{"dispatched again, tracking in lower case", ShippingDispatched, StatusShipped, shipped, " jd0001 ", ShippingIgnore, nil, false, "already SHIPPED"},
		{"dispatched again, other parcel", ShippingDispatched, StatusShipped, shipped, "JD0002", ShippingIgnore, nil, true, "JD0001"},
		{"dispatched after delivery", ShippingDispatched, StatusDelivered, shipped, "JD0001", ShippingIgnore, nil, false, "already DELIVERED"},
		{"dispatched after return", ShippingDispatched, StatusReturned, shipped, "JD0001", ShippingIgnore, nil, false, "already RETURNED"},
		{"dispatched unpaid", ShippingDispatched, StatusPending, nil, "JD0001", ShippingIgnore, nil, true, "PENDING"},
		{"dispatched cancelled", ShippingDispatched, StatusCancelled, nil, "JD0001", ShippingIgnore, nil, true, "CANCELLED"},
		{"in transit paid", ShippingInTransit, StatusPaid, nil, "JD0001", ShippingIgnore, nil, false, "in transit"},
		{"in transit shipped", ShippingInTransit, StatusShipped, shipped, "JD0001", ShippingIgnore, nil, false, "in transit"},
		{"delivered shipped", ShippingDelivered, StatusShipped, shipped, "JD0001", ShippingApply, []Transition{deliver}, false, ""},
		{"delivered shipped, no shipment recorded", ShippingDelivered, StatusShipped, nil, "JD0009", ShippingApply, []Transition{deliver}, false, ""},
		{"delivered before dispatched", ShippingDelivered, StatusPaid, nil, "JD0001", ShippingApply, []Transition{ship, deliver}, false, ""},
		{"delivered, other parcel", ShippingDelivered, StatusShipped, shipped, "JD0002", ShippingReject, nil, false, "does not match"},
		{"delivered again", ShippingDelivered, StatusDelivered, shipped, "JD0001", ShippingIgnore, nil, false, "already DELIVERED"},
		{"delivered again, other parcel", ShippingDelivered, StatusDelivered, shipped, "JD0002", ShippingIgnore, nil, false, "already DELIVERED"},
		{"delivered after return", ShippingDelivered, StatusReturned, shipped, "JD0001", ShippingIgnore, nil, false, "already RETURNED"},
		{"delivered cancelled", ShippingDelivered, StatusCancelled, nil, "JD0001", ShippingIgnore, nil, true, "CANCELLED"},
		{"delivery failed", ShippingDeliveryFailed, StatusShipped, shipped, "JD0001", ShippingIgnore, nil, true, "delivery failed"},
		{"delivery failed paid", ShippingDeliveryFailed, StatusPaid, nil, "JD0001", ShippingIgnore, nil, true, "delivery failed"},
		{"unknown type", ShippingType("shipment.lost"), StatusShipped, shipped, "JD0001", ShippingReject, nil, false, "unknown"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := Order{ID: 7, Number: "SG-000007", Status: tc.status, Shipment: tc.shipment}
			d := DecideShipping(o, shippingMsg(tc.typ, tc.tracking))
			if d.Action != tc.want || d.Warn != tc.warn {
				t.Errorf("action %v warn %v (%q), want %v warn %v", d.Action, d.Warn, d.Reason, tc.want, tc.warn)
			}
			if !reflect.DeepEqual(d.Transitions, tc.steps) {
				t.Errorf("transitions %+v, want %+v", d.Transitions, tc.steps)
			}
			if !strings.Contains(d.Reason, tc.reason) || (tc.want == ShippingApply) != (d.Reason == "") {
				t.Errorf("reason %q, want one containing %q (and none when applying)", d.Reason, tc.reason)
			}
		})
	}
}

// TestDecideShippingIsIdempotent checks, for every message type and every status, that
// the transitions follow the state machine from the order's status, and that the same
// message decided again on the order they lead to changes nothing more.
func TestDecideShippingIsIdempotent(t *testing.T) {
	t.Parallel()
	for _, typ := range AllShippingTypes {
		for _, status := range AllOrderStatuses {
			o := Order{ID: 7, Status: status}
			if status != StatusPending && status != StatusPaid && status != StatusCancelled {
				o.Shipment = &Shipment{Carrier: "DHL", TrackingNumber: "JD0001"}
			}
			m := shippingMsg(typ, "JD0001")
			d := DecideShipping(o, m)
			for _, step := range d.Transitions {
				if step.Expect != o.Status || !o.Status.CanBecome(step.To) {
					t.Fatalf("%s on %s: step %+v does not follow from %s", typ, status, step, o.Status)
				}
				o.Status = step.To
				if step.Shipment != nil {
					o.Shipment = step.Shipment
				}
			}
			if again := DecideShipping(o, m); again.Action != ShippingIgnore {
				t.Errorf("%s on %s, then again on %s: %v %+v, want ignore", typ, status, o.Status, again.Action, again.Transitions)
			}
		}
	}
}

func TestShippingMessageValidate(t *testing.T) {
	t.Parallel()
	good := shippingMsg(ShippingDelivered, "JD0001")
	tests := []struct {
		name  string
		edit  func(*ShippingMessage)
		field string // the field blamed; "" for a valid message
	}{
		{"valid", func(*ShippingMessage) {}, ""},
		{"valid with a note", func(m *ShippingMessage) { m.Note = "left with a neighbour" }, ""},
		{"unknown type", func(m *ShippingMessage) { m.Type = "shipment.lost" }, "type"},
		{"no type", func(m *ShippingMessage) { m.Type = "" }, "type"},
		{"our own event type", func(m *ShippingMessage) { m.Type = EventOrderShipped }, "type"},
		{"no order number", func(m *ShippingMessage) { m.OrderNumber = "" }, "orderNumber"},
		{"long order number", func(m *ShippingMessage) { m.OrderNumber = strings.Repeat("9", 65) }, "orderNumber"},
		{"no carrier", func(m *ShippingMessage) { m.Carrier = "" }, "carrier"},
		{"no tracking number", func(m *ShippingMessage) { m.TrackingNumber = "" }, "trackingNumber"},
		{"no time", func(m *ShippingMessage) { m.At = time.Time{} }, "at"},
		{"no event id", func(m *ShippingMessage) { m.EventID = "" }, "eventId"},
		{"long note", func(m *ShippingMessage) { m.Note = strings.Repeat("x", MaxNoteLength+1) }, "note"},
		{"NUL in note", func(m *ShippingMessage) { m.Note = "a\x00b" }, "note"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := good
			tc.edit(&m)
			errs := m.Normalize().Validate()
			if tc.field == "" {
				if len(errs) > 0 {
					t.Errorf("Validate = %v, want none", errs)
				}
				return
			}
			if len(errs) != 1 || errs[0].Code != CodeBadUserInput || !reflect.DeepEqual(errs[0].Field, []string{tc.field}) {
				t.Errorf("Validate = %+v, want one error on %s", errs, tc.field)
			}
		})
	}
}

func TestShippingMessageNormalize(t *testing.T) {
	t.Parallel()
	m := ShippingMessage{Type: " shipment.delivered ", OrderNumber: " sg-000123 ", Carrier: " DHL ", TrackingNumber: " JD1 ", EventID: " e1 ", Note: " hi "}
	want := ShippingMessage{Type: ShippingDelivered, OrderNumber: "SG-000123", Carrier: "DHL", TrackingNumber: "JD1", EventID: "e1", Note: "hi"}
	if got := m.Normalize(); !reflect.DeepEqual(got, want) {
		t.Errorf("Normalize = %+v, want %+v", got, want)
	}
	for _, typ := range AllShippingTypes {
		if k := typ.Kind(); k == "" || "shipment."+k != string(typ) {
			t.Errorf("%s.Kind() = %q", typ, k)
		}
	}
	if k := ShippingType("order.shipped").Kind(); k != "" {
		t.Errorf("Kind of an unknown type = %q, want empty", k)
	}
}
