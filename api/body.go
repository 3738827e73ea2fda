package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
)

// oneJSONValue refuses a JSON POST body that holds more than one JSON value (two objects
// one after the other, an object followed by anything else): gqlgen's POST transport
// decodes the first value and ignores the rest, so `{mutation A}{mutation B}` would run A
// and drop B without a word. A body that is one value, or that is not JSON at all (which
// the transport reports itself), passes on unchanged. It must run inside
// http.MaxBytesHandler: it reads the whole body.
func oneJSONValue(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Upgrade") != "" {
			next.ServeHTTP(w, r)
			return
		}
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			next.ServeHTTP(w, r)
			return
		}
		// Sized from the declared length (which streaming caps), plus what ReadFrom asks
		// for to see the end: one allocation for the usual body.
		buf := bytes.NewBuffer(make([]byte, 0, max(r.ContentLength, 0)+bytes.MinRead))
		_, err := buf.ReadFrom(r.Body)
		body := buf.Bytes()
		if err != nil {
			if errors.As(err, new(*http.MaxBytesError)) {
				refuseBody(w, http.StatusRequestEntityTooLarge, "the request body is too large", "REQUEST_TOO_LARGE")
				return
			}
			refuseBody(w, http.StatusBadRequest, "the request body could not be read", "BAD_REQUEST")
			return
		}
		if !json.Valid(body) {
			dec := json.NewDecoder(bytes.NewReader(body))
			var first json.RawMessage
			if dec.Decode(&first) == nil {
				refuseBody(w, http.StatusBadRequest, "the request body must be one JSON object: it holds more after the first value", "BAD_REQUEST")
				return
			}
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

// refuseBody answers a request whose body cannot be taken, in the GraphQL response shape.
func refuseBody(w http.ResponseWriter, status int, message, code string) {
	writeJSON(w, status, map[string]any{"errors": []map[string]any{{
		"message": message, "extensions": map[string]any{"code": code}}}})
}
