package api

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/shopgraph/shopgraph/domain"
)

// Limits are the checks every operation passes before it runs. Over any of them, the
// operation is refused with an error naming the limit and the computed cost, without a
// resolver (or a database) being touched.
type Limits struct {
	// MaxCost caps the computed cost of one operation.
	MaxCost int
	// MaxDepth caps how deeply selections nest.
	MaxDepth int
	// MaxAliases caps the aliased fields of one operation.
	MaxAliases int
	// MaxRootFields caps the root fields of one operation.
	MaxRootFields int
	// MaxQueryLength caps the query text, in bytes.
	MaxQueryLength int
}

// DefaultLimits are generous for the storefront and the dashboard, and far below what
// would hurt the databases.
var DefaultLimits = Limits{MaxCost: 1000, MaxDepth: 12, MaxAliases: 30, MaxRootFields: 20, MaxQueryLength: 16 << 10}

// CostLimiter takes cost points from the caller's budget. It returns how long to wait
// when the budget is spent. A limiter that cannot answer (its store is down) lets the
// operation through: limits protect the API, they must not take it down.
type CostLimiter func(ctx context.Context, key string, cost int) (retryAfter time.Duration, ok bool, err error)

// The cost model, after Shopify's: an object field costs 1, a scalar nothing; a connection
// costs 2 plus its page size (first or last, DefaultPageSize when neither is given) times
// what each item costs (1, plus what it selects); another list of objects (category children, order lines) counts as listMultiplier items; a
// mutation's root field costs mutationCost on top.
const (
	connectionCost = 2
	listMultiplier = 5
	mutationCost   = 10
)

// costKey is where an operation's cost is kept in its stats, for the response extension.
const costKey = "shopgraphCost"

// Cost is the extensions.cost of every response.
type Cost struct {
	Requested int `json:"requested"`
	Limit     int `json:"limit"`
}

// limitsExtension enforces Limits, and the cost rate limit, as a gqlgen extension.
type limitsExtension struct {
	limits  Limits
	limiter CostLimiter
	onError func(ctx context.Context, err error)
}

var (
	_ graphql.HandlerExtension          = limitsExtension{}
	_ graphql.OperationParameterMutator = limitsExtension{}
	_ graphql.OperationContextMutator   = limitsExtension{}
)

func (limitsExtension) ExtensionName() string                   { return "ShopgraphLimits" }
func (limitsExtension) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters refuses an over-long query before it is parsed.
func (l limitsExtension) MutateOperationParameters(_ context.Context, p *graphql.RawParams) *gqlerror.Error {
	if len(p.Query) > l.limits.MaxQueryLength {
		return limitError("QUERY_TOO_LARGE", fmt.Sprintf("the query is longer than %d bytes", l.limits.MaxQueryLength), nil)
	}
	return nil
}

// MutateOperationContext prices the validated operation and takes its cost from the
// caller's budget.
func (l limitsExtension) MutateOperationContext(ctx context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if rc.Operation == nil {
		return nil
	}
	w := walker{vars: rc.Variables, fragments: rc.Doc.Fragments}
	cost := w.selection(rc.Operation.SelectionSet, 1)
	roots := len(rc.Operation.SelectionSet)
	if rc.Operation.Operation == ast.Mutation {
		cost += mutationCost * roots
	}
	c := &Cost{Requested: cost, Limit: l.limits.MaxCost}
	rc.Stats.SetExtension(costKey, c)
	switch {
	case w.maxDepth > l.limits.MaxDepth:
		return limitError("QUERY_TOO_DEEP", fmt.Sprintf("the query nests %d levels deep; at most %d are allowed", w.maxDepth, l.limits.MaxDepth), c)
	case w.aliases > l.limits.MaxAliases:
		return limitError("TOO_MANY_ALIASES", fmt.Sprintf("the query has %d aliases; at most %d are allowed", w.aliases, l.limits.MaxAliases), c)
	case roots > l.limits.MaxRootFields:
		return limitError("TOO_MANY_ROOT_FIELDS", fmt.Sprintf("the query has %d root fields; at most %d are allowed", roots, l.limits.MaxRootFields), c)
	case cost > l.limits.MaxCost:
		return limitError("QUERY_TOO_COMPLEX", fmt.Sprintf("the query costs %d points; at most %d are allowed: ask for smaller pages", cost, l.limits.MaxCost), c)
	}
	if l.limiter == nil || rc.Operation.Operation == ast.Subscription {
		return nil
	}
	key := "cost:addr:" + domain.ClientAddrFrom(ctx)
	if id, ok := domain.IdentityFrom(ctx); ok {
		key = "cost:user:" + strconv.FormatInt(id.UserID, 10)
	}
	retry, ok, err := l.limiter(ctx, key, max(cost, 1))
	if err != nil {
		if l.onError != nil {
			l.onError(ctx, err)
		}
		return nil
	}
	if !ok {
		e := limitError(string(domain.CodeRateLimited), "too many expensive queries; slow down", c)
		e.Extensions["retryAfter"] = max(1, int(retry.Round(time.Second)/time.Second))
		return e
	}
	return nil
}

func limitError(code, msg string, c *Cost) *gqlerror.Error {
	e := &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": code}}
	if c != nil {
		e.Extensions["cost"] = c
	}
	return e
}

// costOf returns the cost the limits extension recorded for the operation in ctx.
func costOf(ctx context.Context) *Cost {
	if !graphql.HasOperationContext(ctx) {
		return nil
	}
	c, _ := graphql.GetOperationContext(ctx).Stats.GetExtension(costKey).(*Cost)
	return c
}

// walker prices a selection set and measures its depth and aliases.
type walker struct {
	vars      map[string]any
	fragments ast.FragmentDefinitionList
	maxDepth  int
	aliases   int
	seen      int
}

// selection returns the cost of the selection set at the given depth. Fragments are
// expanded where they are spread (fragment cycles are refused by validation).
func (w *walker) selection(set ast.SelectionSet, depth int) int {
	return w.selectionIn(set, depth, false)
}

// selectionIn is selection; inConnection says the set belongs to a connection, whose
// edges and nodes lists are already counted by its page size.
func (w *walker) selectionIn(set ast.SelectionSet, depth int, inConnection bool) int {
	cost := 0
	for _, sel := range set {
		w.seen++
		if w.seen > 10_000 {
			// A pathological document: price it over any limit without walking further.
			return 1 << 30
		}
		switch s := sel.(type) {
		case *ast.Field:
			cost += w.field(s, depth, inConnection)
		case *ast.InlineFragment:
			cost += w.selectionIn(s.SelectionSet, depth, inConnection)
		case *ast.FragmentSpread:
			if f := w.fragments.ForName(s.Name); f != nil {
				cost += w.selectionIn(f.SelectionSet, depth, inConnection)
			}
		}
	}
	return cost
}

func (w *walker) field(f *ast.Field, depth int, inConnection bool) int {
	if f.Alias != "" && f.Alias != f.Name {
		w.aliases++
	}
	if len(f.SelectionSet) == 0 {
		return 0 // scalars and enums are free
	}
	w.maxDepth = max(w.maxDepth, depth)
	connection := f.Definition != nil && (f.Definition.Arguments.ForName("first") != nil || f.Definition.Arguments.ForName("last") != nil)
	children := w.selectionIn(f.SelectionSet, depth+1, connection)
	if f.Definition == nil {
		return 1 + children
	}
	// Within a connection, each item costs 1 plus what it selects, counted once per page
	// item by the connection: edges wrap the item (its node field pays the 1), nodes are
	// the items.
	if inConnection && f.Name == "edges" {
		return children
	}
	if inConnection && f.Name == "nodes" {
		return 1 + children
	}
	if connection {
		n := domain.DefaultPageSize
		args := f.ArgumentMap(w.vars)
		for _, name := range []string{"first", "last"} {
			if v, ok := args[name].(int64); ok {
				n = int(v)
			} else if v, ok := args[name].(int); ok {
				n = v
			}
		}
		n = min(max(n, 0), domain.MaxPageSize)
		return connectionCost + n*children
	}
	if f.Definition.Type.Elem != nil {
		return 1 + listMultiplier*children
	}
	return 1 + children
}
