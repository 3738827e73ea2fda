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
