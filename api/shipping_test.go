package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/events"
	"github.com/shopgraph/shopgraph/testkit"
)

// shippingView is what a customer sees of an order's journey.
type shippingView struct {
	Order *struct {
		ID, Number, Status string
		Shipment           *struct{ Carrier, TrackingNumber string }
		StatusHistory      []struct {
			Sequence       int
			Status         string
			PreviousStatus *string
			Shipment       *struct{ Carrier, TrackingNumber string }
		}
	}
}

const shippingQuery = `query($id: ID!) { order(id: $id) { id number status shipment { carrier trackingNumber }
	statusHistory { sequence status previousStatus shipment { carrier trackingNumber } } } }`

// TestShippingMessagesReachTheOrder checks out over HTTP, then plays a shipping provider
// publishing to the harness's NATS: the customer sees the order become SHIPPED with the
// parcel, then DELIVERED, and repeated, informational and unusable messages change
// nothing.
func TestShippingMessagesReachTheOrder(t *testing.T) {
	t.Parallel()
	url, subjects, stream := testkit.NATS(t)
	shippingStream := events.ShippingStreamName(stream)
	// Registered before the harness, so it runs after the app has stopped: a running
	// consumer would set the stream up again.
	t.Cleanup(func() { deleteStream(t, url, shippingStream) })
	h := newHarnessOn(t, url, withStream(subjects, stream))
	customer, _ := h.signedIn(domain.RoleCustomer)
	p := h.stocked(1, 5)[0]
	c := customer.cartCreate(line(p, 1))
	o := customer.checkout(c.Cart.ID, "ship-1", nil)
	if o.Order == nil || o.Order.Status != "PAID" {
		t.Fatalf("checkout: %+v", o)
	}
	id, number := o.Order.ID, o.Order.Number

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	waitUntil(t, ctx, "the app has set up the shipping stream", func() bool {
		_, err := h.bus.JS.Stream(ctx, shippingStream)
		return err == nil
	})
	publish := func(kind domain.ShippingType, tracking string) {
		t.Helper()
		m := domain.ShippingMessage{Type: kind, OrderNumber: number, Carrier: "DHL", TrackingNumber: tracking,
			At: time.Now().UTC(), EventID: uuid.NewString()}
		body, _ := json.Marshal(m)
		if _, err := h.bus.JS.Publish(ctx, subjects.For(events.ShippingSubject(kind)), body, jetstream.WithMsgID(m.EventID)); err != nil {
			t.Fatalf("publishing %s: %v", kind, err)
		}
	}
	view := func() shippingView {
		t.Helper()
		var v shippingView
		customer.data(shippingQuery, map[string]any{"id": id}, &v)
		if v.Order == nil {
			t.Fatal("the customer cannot see the order")
		}
		return v
	}
	waitStatus := func(want string) shippingView {
		t.Helper()
		var v shippingView
		waitUntil(t, ctx, "the order is "+want, func() bool {
			v = view()
			return v.Order.Status == want
		})
		return v
	}

	// Garbage first: it is parked and holds nothing up.
	if _, err := h.bus.JS.Publish(ctx, subjects.For("shipping.dispatched"), []byte("{oops"), jetstream.WithMsgID("garbage-1")); err != nil {
		t.Fatal(err)
	}
	publish(domain.ShippingDispatched, "JD0001")
	v := waitStatus("SHIPPED")
	if v.Order.Shipment == nil || v.Order.Shipment.Carrier != "DHL" || v.Order.Shipment.TrackingNumber != "JD0001" {
		t.Errorf("shipment %+v", v.Order.Shipment)
	}
	publish(domain.ShippingInTransit, "JD0001")
	publish(domain.ShippingDispatched, "JD0001") // the provider says it again
	publish(domain.ShippingDelivered, "JD0001")
	v = waitStatus("DELIVERED")
	publish(domain.ShippingDelivered, "JD0001") // and again
	waitUntil(t, ctx, "every shipping message is handled", func() bool {
		s := h.app.Shipping
		return s.Applied() == 2 && s.Ignored() == 3 && s.Parked() == 1
	})

	v = view()
	want := []string{"PENDING", "PAID", "SHIPPED", "DELIVERED"}
	if len(v.Order.StatusHistory) != len(want) {
		t.Fatalf("history %+v, want the statuses %v", v.Order.StatusHistory, want)
	}
	for i, e := range v.Order.StatusHistory {
		if e.Sequence != i+1 || e.Status != want[i] {
			t.Errorf("history %d: %+v", i, e)
		}
	}
	if sh := v.Order.StatusHistory[2].Shipment; sh == nil || sh.Carrier != "DHL" || sh.TrackingNumber != "JD0001" {
		t.Errorf("the step into SHIPPED has shipment %+v, want DHL JD0001", sh)
	}
	if prev := v.Order.StatusHistory[3].PreviousStatus; prev == nil || *prev != "SHIPPED" {
		t.Errorf("the step into DELIVERED came from %v, want SHIPPED", prev)
	}

	// The provider's news went through the state machine, so the shop's own events
	// followed as for an admin's changes.
	msgs := orderMessages(readStream(t, h.bus.JS, stream, subjects.Prefix+".order.", 4), dbID(t, id))
	if got := types(msgs); got != "order.created,order.paid,order.shipped,order.delivered" {
		t.Errorf("order events on NATS: %s", got)
	}
}

// waitUntil polls cond until it holds, failing the test when ctx ends first.
func waitUntil(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting until %s", what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// deleteStream deletes the stream from the NATS server at url, if it exists.
func deleteStream(t *testing.T, url, name string) {
	t.Helper()
	nc, err := nats.Connect(url, nats.Timeout(5*time.Second))
	if err != nil {
		t.Errorf("connecting to nats to delete stream %s: %v", name, err)
		return
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Errorf("opening jetstream to delete stream %s: %v", name, err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := js.DeleteStream(ctx, name); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Errorf("deleting stream %s: %v", name, err)
	}
}
