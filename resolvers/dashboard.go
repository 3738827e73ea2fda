package resolvers

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/shopgraph/shopgraph/domain"
	"github.com/shopgraph/shopgraph/graph/model"
)

// DashboardFieldBudget is the time one dashboard field may take before it gives up with
// a TIMEOUT error, leaving the other fields to answer.
const DashboardFieldBudget = 3 * time.Second

// loadTimezone resolves an IANA zone name, or returns a BAD_USER_INPUT error.
func loadTimezone(name *string) (*time.Location, error) {
	if name == nil || *name == "" {
		return time.UTC, nil
	}
	n := *name
	bad := domain.FieldError([]string{"timezone"}, "timezone must be an IANA zone name such as Asia/Kolkata")
	if len(n) > 64 || n == "Local" || strings.Contains(n, "..") || strings.Trim(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-") != "" {
		return nil, bad
	}
	loc, err := time.LoadLocation(n)
	if err != nil {
		return nil, bad
	}
	return loc, nil
}

func dashboardRange(obj *model.Dashboard) domain.DateRange {
	return domain.DateRange{From: obj.From, To: obj.To}
}

// withBudget runs a dashboard question within the field budget, turning a deadline hit
// into a TIMEOUT error.
func withBudget[T any](ctx context.Context, fn func(context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, DashboardFieldBudget)
	defer cancel()
	v, err := fn(ctx)
	if err != nil && ctx.Err() == context.DeadlineExceeded && domain.ErrorCode(err) == domain.CodeInternal {
		return v, domain.Errorf(domain.CodeTimeout, "this figure took too long to compute; try a shorter range")
	}
	return v, err
}

// trackedEvents validates a trackEvents batch: every event, with its product, or user
// errors for the whole batch.
func (r *Resolver) trackedEvents(ctx context.Context, in []*model.TrackEventInput) ([]domain.TrackedEvent, []*model.UserError) {
	if len(in) == 0 || len(in) > domain.MaxTrackBatch {
		return nil, []*model.UserError{{Field: []string{"events"}, Message: "send 1 to 100 events at once", Code: "BAD_USER_INPUT"}}
	}
	now := time.Now()
	caller, signedIn := domain.IdentityFrom(ctx)
	out := make([]domain.TrackedEvent, len(in))
	var errs []*domain.Error
	var productIDs []int64
	for i, e := range in {
		ev := domain.TrackedEvent{ID: uuid.NewString(), Type: domain.TrackEventType(e.Type), SessionID: e.SessionID, At: now}
		if e.At != nil {
			ev.At = *e.At
		}
		if e.Query != nil {
			ev.Query = *e.Query
		}
		if e.Metadata != nil {
			ev.Metadata = *e.Metadata
		}
		if signedIn {
			ev.UserID = orderKey(caller.UserID)
		}
		if e.ProductID != nil {
			id, err := decodeID(*e.ProductID, typeProduct, "events", orderKey(int64(i)), "productId")
			if err != nil {
				errs = append(errs, err.(*domain.Error))
				continue
			}
			ev.ProductID = id
			productIDs = append(productIDs, id)
		}
		errs = append(errs, ev.Validate(i, now)...)
		out[i] = ev
	}
	if len(errs) > 0 {
		return nil, domainUserErrors(errs)
	}
	products, loadErrs := loadersFrom(ctx).ProductByID().LoadMany(ctx, productIDs)()
	for i, id := range productIDs {
		if (loadErrs != nil && loadErrs[i] != nil) || products[i].Deleted {
			return nil, []*model.UserError{{Field: []string{"events"}, Message: "product " + encodeID(typeProduct, id) + " does not exist", Code: "PRODUCT_UNAVAILABLE"}}
		}
	}
	return out, nil
}

func distinctSessions(evs []domain.TrackedEvent) []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range evs {
		if !seen[e.SessionID] {
			seen[e.SessionID] = true
			out = append(out, e.SessionID)
		}
	}
	return out
}
