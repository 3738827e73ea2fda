package events_test

import (
	"testing"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/events"
	"github.com/shopgraph/shopgraph/testkit"
)

// TestFollowAcrossNATSClusterNodeLoss follows orders through a 3-node NATS cluster (the
// stream replicated on all three) and kills, mid-way, the node the subscription hub is
// connected to: the connections move to the other nodes, the stream goes on taking
// events, and every follower sees every status change once, in order.
func TestFollowAcrossNATSClusterNodeLoss(t *testing.T) {
	checkGoroutines(t)
	ctx := testContext(t)
	cluster := testkit.StartNATSCluster(t, 3)
	bus := connect(t, cluster.URL())
	subjects := events.Subjects{Prefix: testkit.UniqueName("sgt")}
	st, err := events.EnsureStream(ctx, bus.JS, events.StreamConfig{Subjects: subjects, Replicas: 3})
	if err != nil {
		t.Fatalf("EnsureStream: %v", err)
	}
	hubNC := connect(t, cluster.URL()).NC
	s := newShopOn(t, ctx, bus, subjects, hubNC, events.HubConfig{})
	const orders = 20
	ids := make([]int64, orders)
	for i := range ids {
		ids[i] = s.place(t)
		s.pay(t, ids[i])
	}
	s.quiet(t)
	followers := make([]*events.Follower, orders)
	for i, id := range ids {
		followers[i] = startFollow(t, ctx, s.hub, s.orders, id, intp(0))
	}
	for _, id := range ids[:orders/2] {
		s.move(t, id, domain.StatusShipped)
	}
	node := cluster.Node(hubNC.ConnectedUrl())
	if node == nil {
		t.Fatalf("the hub is connected to %s, not a node of the cluster", hubNC.ConnectedUrl())
	}
	resyncs := s.hub.Resyncs()
	node.Kill()
	for _, id := range ids[orders/2:] {
		s.move(t, id, domain.StatusShipped)
	}
	waitFor(t, eventWait, "the hub reconnects to another node", func() bool {
		return hubNC.IsConnected() && cluster.Node(hubNC.ConnectedUrl()) != node
	})
	waitFor(t, eventWait, "the hub signals a resync", func() bool { return s.hub.Resyncs() > resyncs })
	for _, id := range ids {
		s.move(t, id, domain.StatusDelivered)
	}
	for i, f := range followers {
		got := nextN(t, f, 4)
		expectEnd(t, f, nil)
		checkEvents(t, "events", got, s.history(t, ids[i], 0))
	}
	// The stream kept every event, on the nodes left. (The hub itself missed what was
	// published while it had no connection, which is why it signalled the resync: its
	// message count is not a measure of the stream's.)
	waitOutboxEmpty(t, s.ctx, s.outbox)
	var statusEvents uint64
	if err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM order_status_events`).Scan(&statusEvents); err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatalf("stream info after losing a node: %v", err)
	}
	if info.State.Msgs < statusEvents {
		t.Fatalf("the stream holds %d events after losing a node, want at least the %d status changes: %+v", info.State.Msgs, statusEvents, info.State)
	}
	t.Logf("stream %s: %d events on %d replicas, leader %s", info.Config.Name, info.State.Msgs, info.Config.Replicas, info.Cluster.Leader)
}
