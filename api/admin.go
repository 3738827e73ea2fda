package api

import (
	"net/http"
	"net/http/pprof"
)

// AdminHandler returns the handler of the admin listener: Go's profiling endpoints
// under /debug/pprof/. It must be served on an address of its own that only operators
// reach (loopback by default), never on the public one: profiles reveal the program's
// internals and cost CPU. The handlers are registered on a ServeMux of their own, so
// the public handler never serves them.
func AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
