package resolvers

import (
	"context"
	"testing"

	"github.com/vektah/gqlparser/v2/gqlerror"
)

// An SSE subscription's context has no place for an ending error: handing one over must
// report so rather than panic on the follower's goroutine, which would end the process.
func TestAddSubscriptionErrorWithoutAPlaceForIt(t *testing.T) {
	if addSubscriptionError(context.Background(), &gqlerror.Error{Message: "order tracking stopped"}) {
		t.Fatal("addSubscriptionError reported the error added to a context that has no place for it")
	}
}
