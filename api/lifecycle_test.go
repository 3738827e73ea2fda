package api_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/shopgraph/shopgraph/app"
	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/events"
	"github.com/shopgraph/shopgraph/testkit"
)

func withStream(subjects events.Subjects, stream string) harnessOption {
	return func(c *app.Config) { c.Subjects, c.StreamName = subjects, stream }
}

// streamMessage is a message read back from the event stream.
type streamMessage struct {
	Subject string
	Type    string
	MsgID   string
	Data    map[string]any
}

// readStream waits until the stream holds at least n messages whose subject starts with
// prefix+".", then returns every such message in stream order.
func readStream(t *testing.T, js jetstream.JetStream, stream, filter string, n int) []streamMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out []streamMessage
	for {
		out = out[:0]
		s, err := js.Stream(ctx, stream)
		if err == nil {
			info, err := s.Info(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for seq := info.State.FirstSeq; seq <= info.State.LastSeq && seq > 0; seq++ {
				m, err := s.GetMsg(ctx, seq)
				if err != nil {
					continue
				}
				if !strings.HasPrefix(m.Subject, filter) {
					continue
				}
				var data map[string]any
				_ = json.Unmarshal(m.Data, &data)
				out = append(out, streamMessage{Subject: m.Subject, Type: m.Header.Get(events.HeaderEventType), MsgID: m.Header.Get("Nats-Msg-Id"), Data: data})
			}
		}
		if len(out) >= n {
			return out
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the stream has %d of %d messages under %s", len(out), n, filter)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func orderMessages(msgs []streamMessage, orderID string) []streamMessage {
	var out []streamMessage
	for _, m := range msgs {
		if id, ok := m.Data["orderId"].(float64); ok && strconv.FormatFloat(id, 'f', -1, 64) == orderID {
			out = append(out, m)
		}
	}
	return out
}

func types(msgs []streamMessage) string {
	var s []string
	for _, m := range msgs {
		s = append(s, m.Type)
	}
	return strings.Join(s, ",")
}

// TestOrderLifecycle walks an order through every legal transition and some illegal
// ones, and checks that the order's events reach NATS in order with their payloads.
func TestOrderLifecycle(t *testing.T) {
	t.Parallel()
	url, subjects, stream := testkit.NATS(t)
	h := newHarnessOn(t, url, withStream(subjects, stream))
	admin, _ := h.signedIn(domain.RoleAdmin)
	customer, _ := h.signedIn(domain.RoleCustomer)
	p := h.stocked(1, 10)[0]
	before := h.stock(p)
	c := customer.cartCreate(line(p, 2))
	o := customer.checkout(c.Cart.ID, "life-1", nil)
	if o.Order == nil || o.Order.Status != "PAID" {
		t.Fatalf("checkout: %+v", o)
	}
	id := o.Order.ID
	step := func(who *harness, q string, vars map[string]any) orderPayload {
		t.Helper()
		vars["id"] = id
		r := who.post(q, vars)
		if len(r.Errors) > 0 {
			t.Fatalf("%s: %+v", q, r.Errors)
		}
		var out map[string]orderPayload
		if err := json.Unmarshal(r.Data, &out); err != nil {
			t.Fatal(err)
		}
		for _, v := range out {
			return v
		}
		return orderPayload{}
	}
	deliver := `mutation($id: ID!) { orderDeliver(orderId: $id) { ` + orderFields + ` } }`
	ship := `mutation($id: ID!, $c: String!, $n: String!) { orderShip(orderId: $id, carrier: $c, trackingNumber: $n) { ` + orderFields + ` } }`
	ret := `mutation($id: ID!, $r: String!, $a: Decimal) { orderReturn(orderId: $id, reason: $r, refundAmount: $a) { ` + orderFields + ` } }`
	cancel := `mutation($id: ID!, $r: String!) { orderCancel(orderId: $id, reason: $r) { ` + orderFields + ` } }`

	if r := step(admin, deliver, map[string]any{}); r.Order != nil || r.UserErrors[0].Code != "ILLEGAL_TRANSITION" || !strings.Contains(r.UserErrors[0].Message, "PAID") {
		t.Errorf("delivering a PAID order: %+v", r)
	}
	if r := customer.post(ship, map[string]any{"id": id, "c": "x", "n": "y"}); r.code() != "FORBIDDEN" {
		t.Errorf("a customer shipped: %+v", r.Errors)
	}
	if r := step(admin, ship, map[string]any{"c": "DHL", "n": "JD0001"}); r.Order == nil || r.Order.Status != "SHIPPED" || r.Order.Shipment == nil || r.Order.Shipment.TrackingNumber != "JD0001" {
		t.Fatalf("ship: %+v", r)
	}
	if r := step(customer, cancel, map[string]any{"r": "changed my mind"}); r.Order != nil || r.UserErrors[0].Code != "ILLEGAL_TRANSITION" || !strings.Contains(r.UserErrors[0].Message, "SHIPPED") {
		t.Errorf("cancelling a shipped order: %+v", r)
	}
	if r := step(admin, deliver, map[string]any{}); r.Order == nil || r.Order.Status != "DELIVERED" {
		t.Fatalf("deliver: %+v", r)
	}
	if r := step(admin, ret, map[string]any{"r": "broken", "a": "100000.00"}); r.Order != nil || r.UserErrors[0].Code != "INVALID_REFUND" {
		t.Errorf("refund over the total: %+v", r)
	}
	r := step(admin, ret, map[string]any{"r": "arrived broken", "a": "1.00"})
	if r.Order == nil || r.Order.Status != "RETURNED" || r.Order.RefundedAmount == nil || r.Order.RefundedAmount.Amount != "1.00" {
		t.Fatalf("return: %+v", r)
	}
	if h.stock(p) != before {
		t.Errorf("stock %d after the return, want %d", h.stock(p), before)
	}
	hist := r.Order.StatusHistory
	want := []string{"PENDING", "PAID", "SHIPPED", "DELIVERED", "RETURNED"}
	for i, e := range hist {
		if e.Sequence != i+1 || e.Status != want[i] {
			t.Errorf("history %d: %+v", i, e)
		}
	}

	orderID := dbID(t, id)
	msgs := orderMessages(readStream(t, h.bus.JS, stream, subjects.Prefix+".order.", 5), orderID)
	if got := types(msgs); got != "order.created,order.paid,order.shipped,order.delivered,order.returned" {
		t.Fatalf("order events on NATS: %s", got)
	}
	for i, m := range msgs {
		if m.Subject != subjects.For(m.Type) || m.MsgID == "" || int(m.Data["sequence"].(float64)) != i+1 {
			t.Errorf("message %d: %+v", i, m)
		}
	}
	if msgs[2].Data["carrier"] != "DHL" || msgs[2].Data["trackingNumber"] != "JD0001" {
		t.Errorf("order.shipped payload: %v", msgs[2].Data)
	}
	if msgs[4].Data["reason"] != "arrived broken" || msgs[4].Data["refundMinor"].(float64) != 100 {
		t.Errorf("order.returned payload: %v", msgs[4].Data)
	}

	// A second order, cancelled by its customer while PAID: stock back, reason on the event.
	c2 := customer.cartCreate(line(p, 1))
	o2 := customer.checkout(c2.Cart.ID, "life-2", nil)
	id = o2.Order.ID
	if r := step(customer, cancel, map[string]any{"r": "found it cheaper"}); r.Order == nil || r.Order.Status != "CANCELLED" {
		t.Fatalf("customer cancel: %+v", r)
	}
	if h.stock(p) != before {
		t.Errorf("stock %d after the cancellation, want %d", h.stock(p), before)
	}
	if r := step(admin, cancel, map[string]any{"r": "again"}); r.UserErrors[0].Code != "ILLEGAL_TRANSITION" {
		t.Errorf("cancelling twice: %+v", r)
	}
	msgs = orderMessages(readStream(t, h.bus.JS, stream, subjects.Prefix+".order.", 8), dbID(t, id))
	if got := types(msgs); got != "order.created,order.paid,order.cancelled" || msgs[2].Data["reason"] != "found it cheaper" {
		t.Errorf("second order's events: %s %v", got, msgs)
	}

	// Someone else's order: nothing to see, nothing to cancel.
	other, _ := h.signedIn(domain.RoleCustomer)
	var read struct{ Order *struct{ ID string } }
	other.data(`query($id: ID!) { order(id: $id) { id } }`, map[string]any{"id": id}, &read)
	if read.Order != nil {
		t.Error("another customer read the order")
	}
	if r := step(other, cancel, map[string]any{"r": "mischief"}); r.Order != nil || r.UserErrors[0].Code != "NOT_FOUND" {
		t.Errorf("another customer cancelled: %+v", r)
	}
}

// TestEventsWaitForNATS commits a checkout while NATS is down and sees its events
// published, in order and once each, when NATS returns.
func TestEventsWaitForNATS(t *testing.T) {
	t.Parallel()
	srv := testkit.StartNATS(t)
	subjects := events.Subjects{Prefix: testkit.UniqueName("t")}
	stream := strings.ToUpper(testkit.UniqueName("S"))
	h := newHarnessOn(t, srv.URL(), withStream(subjects, stream))
	// Let the stream exist before NATS goes away, as it would in production.
	readyCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		if _, err := h.bus.JS.Stream(readyCtx, stream); err == nil {
			break
		}
		select {
		case <-readyCtx.Done():
			t.Fatal("the stream was never created")
		case <-time.After(20 * time.Millisecond):
		}
	}
	srv.Stop()

	p := h.stocked(1, 10)[0]
	c := h.cartCreate(line(p, 1))
	o := h.checkout(c.Cart.ID, "down-1", nil)
	if o.Order == nil || o.Order.Status != "PAID" {
		t.Fatalf("checkout while NATS is down: %+v", o)
	}
	var waiting int
	if err := h.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox WHERE published_at IS NULL`).Scan(&waiting); err != nil || waiting < 4 {
		t.Fatalf("%d events wait in the outbox (%v)", waiting, err)
	}
	srv.Start()
	msgs := orderMessages(readStream(t, h.bus.JS, stream, subjects.Prefix+".order.", 2), dbID(t, o.Order.ID))
	if got := types(msgs); got != "order.created,order.paid" {
		t.Errorf("after NATS returned: %s", got)
	}
	all := readStream(t, h.bus.JS, stream, subjects.Prefix+".", waiting)
	seen := map[string]bool{}
	for _, m := range all {
		if seen[m.MsgID] {
			t.Errorf("event %s published twice", m.MsgID)
		}
		seen[m.MsgID] = true
	}
}
