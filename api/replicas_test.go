package api_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shopgraph/shopgraph/app"
	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/store/postgres"
	"github.com/shopgraph/shopgraph/testkit"
)

// listTracer tells, for the product listing's statement, which kind of server ran it,
// as the server reports it to the session (in_hot_standby).
type listTracer struct{ standby, primary atomic.Int64 }

func (l *listTracer) TraceQueryStart(ctx context.Context, c *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if strings.Contains(d.SQL, "FROM products p") && strings.Contains(d.SQL, "LIMIT") {
		if c.PgConn().ParameterStatus("in_hot_standby") == "on" {
			l.standby.Add(1)
		} else {
			l.primary.Add(1)
		}
	}
	return ctx
}

func (l *listTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TestReplicaReadYourWritesThroughAPI renames a product as an admin and lists it back at
// once: the listing, a replica's read, shows the new name every time (its reads wait on
// the primary until a replica has replayed the rename), and goes back to the replica
// once it has; another caller's listings stay on the replica throughout.
func TestReplicaReadYourWritesThroughAPI(t *testing.T) {
	t.Parallel()
	_, url := testkit.Postgres(t)
	rurl := testkit.Replica(t, url)
	tr := &listTracer{}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := postgres.Open(ctx, postgres.Config{URL: url, ReplicaURLs: []string{rurl}, Tracer: tr, MaxConns: 8,
		ReplicaCheckInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	for !db.Stats()[1].InRotation {
		if ctx.Err() != nil {
			t.Fatalf("replica never in rotation: %+v", db.Stats())
		}
		time.Sleep(20 * time.Millisecond) // polling the health check
	}
	h := buildHarness(t, app.Deps{Postgres: db, Redis: testkit.Redis(t)}, nil, "")
	admin, _ := h.signedIn(domain.RoleAdmin)
	shopper, _ := h.signedIn(domain.RoleCustomer)
	const list = `{ products(first: 1) { nodes { id name } } }`
	type listed struct {
		Products struct{ Nodes []struct{ ID, Name string } }
	}
	var first listed
	shopper.data(list, nil, &first)
	id := first.Products.Nodes[0].ID
	var standbyAfterWrite int64
	for i := range 30 {
		name := fmt.Sprintf("Renamed %d", i)
		var pu struct {
			ProductUpdate struct{ UserErrors []map[string]any }
		}
		admin.data(`mutation($id: ID!, $n: String!) { productUpdate(id: $id, input: {name: $n}) { userErrors { field message } } }`,
			map[string]any{"id": id, "n": name}, &pu)
		if len(pu.ProductUpdate.UserErrors) > 0 {
			t.Fatalf("productUpdate: %+v", pu.ProductUpdate.UserErrors)
		}
		s0 := tr.standby.Load()
		var got listed
		admin.data(list, nil, &got)
		standbyAfterWrite += tr.standby.Load() - s0
		if n := got.Products.Nodes[0].Name; n != name {
			t.Fatalf("rename %d: the admin lists %q right after renaming it %q", i, n, name)
		}
	}
	t.Logf("30 listings right after a rename: %d served by the replica", standbyAfterWrite)
	// Another caller has written nothing: the replica serves it.
	s0, p0 := tr.standby.Load(), tr.primary.Load()
	for range 10 {
		var got listed
		shopper.data(list, nil, &got)
	}
	if s, p := tr.standby.Load()-s0, tr.primary.Load()-p0; s != 10 || p != 0 {
		t.Fatalf("a caller without writes: %d listings on the replica, %d on the primary; want 10 and 0", s, p)
	}
	// Once the replica has replayed the renames, the admin's listings go back to it.
	for {
		s0 := tr.standby.Load()
		var got listed
		admin.data(list, nil, &got)
		if got.Products.Nodes[0].Name != "Renamed 29" {
			t.Fatalf("the admin lists %q after the last rename", got.Products.Nodes[0].Name)
		}
		if tr.standby.Load() > s0 {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("the admin's listings never went back to the replica")
		}
		time.Sleep(20 * time.Millisecond) // polling the replica's replay
	}
	fams := h.scrape()
	for _, pool := range []string{"primary", "replica-1"} {
		if m := series(fams, "shopgraph_db_queries_total", map[string]string{"pool": pool}); m == nil || m.GetCounter().GetValue() == 0 {
			t.Errorf("shopgraph_db_queries_total{pool=%q}: %v", pool, m)
		}
	}
	if m := series(fams, "shopgraph_db_replica_in_rotation", map[string]string{"pool": "replica-1"}); m == nil || m.GetGauge().GetValue() != 1 {
		t.Errorf("shopgraph_db_replica_in_rotation: %v", m)
	}
	if m := series(fams, "shopgraph_db_replica_lag_seconds", map[string]string{"pool": "replica-1"}); m == nil || m.GetGauge().GetValue() > 5 {
		t.Errorf("shopgraph_db_replica_lag_seconds: %v", m)
	}
}
