package app

import (
	"context"
	"strconv"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/store/postgres"
	"github.com/shopgraph/shopgraph/store/redis"
)

// readRouting sends each operation's display reads to the database replicas when that
// is safe, with read-your-writes across every shopgraph process: after a mutation, the
// primary's WAL position is kept in Redis under the caller's key (its user id, or its
// address for a guest) for the window in which a replica in rotation may not have
// replayed it; a later query of that caller, on any process, reads from a replica only
// once the replica has replayed that position. Mutations and subscriptions read from the
// primary (a subscription's events must not be older than the event that announced
// them). Without Redis the positions cannot be shared, so every read stays on the
// primary.
type readRouting struct {
	db        *postgres.DB
	positions *redis.WritePositions
	log       interface {
		WarnContext(ctx context.Context, msg string, args ...any)
	}
}

// around is api.Options.AroundOperation.
func (rr readRouting) around(ctx context.Context, op ast.Operation) (context.Context, func(context.Context)) {
	if op != ast.Query {
		ctx = postgres.WithPrimaryReads(ctx)
		if op == ast.Mutation {
			return ctx, rr.wrote
		}
		return ctx, nil
	}
	client := readClient(ctx)
	return postgres.WithReplicaReads(ctx, client, func(ctx context.Context) (postgres.LSN, error) {
		n, err := rr.positions.Get(ctx, client)
		return postgres.LSN(n), err
	}), nil
}

// wrote records the primary's position after a mutation for its caller.
func (rr readRouting) wrote(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	pos, err := rr.db.WritePosition(ctx)
	if err == nil {
		err = rr.positions.Raise(ctx, readClient(ctx), uint64(pos), rr.db.ReadYourWritesWindow())
	}
	if err != nil {
		// The caller may read from a replica that has not replayed its write, for at
		// most the window.
		rr.log.WarnContext(ctx, "write position not recorded; reads may briefly miss this write", "err", err)
	}
}

// readClient names the caller whose writes its reads must see.
func readClient(ctx context.Context) string {
	if id, ok := domain.IdentityFrom(ctx); ok && id.UserID != 0 {
		return "u:" + strconv.FormatInt(id.UserID, 10)
	}
	return "a:" + domain.ClientAddrFrom(ctx)
}
