package api

import (
	"net/http"

	"github.com/99designs/gqlgen/graphql/handler/transport"
)

// NewHandlerWithGqlgenPOST is NewHandler with gqlgen's own POST transport in place of
// shopgraph's, for the tests that compare the two.
func NewHandlerWithGqlgenPOST(o Options) http.Handler {
	return newHandler(o, transport.POST{})
}

// The WebSocket poller is the process's, started on first use and never stopped: it is
// started here, before the tests count their goroutines.
func init() { pollerOnce() }

// WatchedConnections is how many WebSocket connections the process's poller watches.
func WatchedConnections() int {
	if p := pollerOnce(); p != nil {
		return p.watching()
	}
	return 0
}

// Polling reports whether idle WebSocket connections wait on the process's poller.
func Polling() bool { return pollerOnce() != nil }
