package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// postTransport answers GraphQL POST requests exactly as gqlgen's transport.POST does:
// the same requests, response headers, status codes and error messages, the same bytes.
// Only the writing of the response differs. gqlgen's json.Marshal of the response
// validates and compacts the data again, byte by byte, after the executor and the
// catalog writer have just written it as compact JSON: most of the server's CPU for a
// large answer such as the dashboard's hourly series (2,160 points, 200 KB).
// appendResponse copies the data as it is, but for the HTML escaping encoding/json
// applies to it.
type postTransport struct {
	// responseHeaders and graphQLResponseByDefault are transport.POST's ResponseHeaders
	// and UseGrapQLResponseJsonByDefault.
	responseHeaders          map[string][]string
	graphQLResponseByDefault bool
}

var _ graphql.Transport = postTransport{}

// The response media types of the GraphQL-over-HTTP specification.
const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// Supports reports whether r is a POST of application/json that is not a WebSocket
// upgrade.
func (t postTransport) Supports(r *http.Request) bool {
	if r.Header.Get("Upgrade") != "" {
		return false
	}
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return false
	}
	return r.Method == http.MethodPost && mediaType == mediaJSON
}

// rawParams keeps the request parameters between requests, as transport.POST does.
var rawParams = sync.Pool{New: func() any { return new(graphql.RawParams) }}

// Do runs the operation of a POST request and writes its response. A response whose data
// is not JSON panics ("unable to marshal"), as with transport.POST; gqlgen's handler
// recovers it.
func (t postTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	contentType := responseContentType(t.responseHeaders, r, t.graphQLResponseByDefault)
	writeResponseHeaders(w, contentType, t.responseHeaders)
	params := rawParams.Get().(*graphql.RawParams)
	defer func() {
		*params = graphql.RawParams{}
		rawParams.Put(params)
	}()
	start := graphql.Now()

	body, err := io.ReadAll(r.Body)
	if err != nil {
		gqlErr := gqlerror.Errorf("could not read request body: %+v", err)
		writeResponse(w, exec.DispatchError(ctx, gqlerror.List{gqlErr}))
		return
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(params); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		gqlErr := gqlerror.Errorf("json request body could not be decoded: %+v body:%s", err, string(body))
		writeResponse(w, exec.DispatchError(ctx, gqlerror.List{gqlErr}))
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}

	rc, opErr := exec.CreateOperationContext(ctx, params)
	if opErr != nil {
		// A request that does not parse or validate is a 400 for graphql-response+json
		// clients and a 422 for the others (which statusForJSON turns into a 200 for
		// application/json); other errors are a 200.
		status := http.StatusOK
		if errcode.GetErrorKind(opErr) == errcode.KindProtocol {
			status = http.StatusUnprocessableEntity
			if contentType == mediaGraphQLResponse {
				status = http.StatusBadRequest
			}
		}
		w.WriteHeader(status)
		writeResponse(w, exec.DispatchError(graphql.WithOperationContext(ctx, rc), opErr))
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, rc)
	writeResponse(w, responses(ctx))
}

// responseContentType is the Content-Type of the response to r: the one the explicit
// headers set, else the first media type of Accept the transport knows (a wildcard
// meaning application/json unless graphQLResponseByDefault), else, for an Accept it
// knows none of, application/graphql-response+json.
func responseContentType(explicit map[string][]string, r *http.Request, graphQLResponseByDefault bool) string {
	for k, v := range explicit {
		if strings.EqualFold(k, "Content-Type") {
			return v[0]
		}
	}
	wildcard := mediaJSON
	if graphQLResponseByDefault {
		wildcard = mediaGraphQLResponse
	}
	accept := r.Header.Get("Accept")
	if accept == "" {
		return wildcard
	}
	for part := range strings.SplitSeq(accept, ",") {
		mediaType, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mediaType {
		case "*/*", "application/*":
			return wildcard
		case mediaJSON, mediaGraphQLResponse:
			return mediaType
		}
	}
	return mediaGraphQLResponse
}

// writeResponseHeaders adds Content-Type and the explicit headers (which replace
// Content-Type when they name it with the same spelling) to the response.
func writeResponseHeaders(w http.ResponseWriter, contentType string, explicit map[string][]string) {
	if len(explicit) == 0 {
		w.Header().Add("Content-Type", contentType)
		return
	}
	headers := map[string][]string{"Content-Type": {contentType}}
	maps.Copy(headers, explicit)
	for k, values := range headers {
		for _, v := range values {
			w.Header().Add(k, v)
		}
	}
}

// responseBuffers hold the responses being written, so that a large answer does not
// allocate its size again on every request.
var responseBuffers = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledResponse is the largest buffer responseBuffers keeps; a larger one is left to
// the garbage collector.
const maxPooledResponse = 1 << 20

// writeResponse writes resp in one Write, as transport.POST does; it panics, before
// writing anything, when resp cannot be encoded.
func writeResponse(w io.Writer, resp *graphql.Response) {
	buf := responseBuffers.Get().(*[]byte)
	b, err := appendResponse((*buf)[:0], resp)
	if err != nil {
		panic(fmt.Errorf("unable to marshal %s: %w", string(resp.Data), err))
	}
	_, _ = w.Write(b)
	if cap(b) <= maxPooledResponse {
		*buf = b
		responseBuffers.Put(buf)
	}
}

// appendResponse appends resp to dst as json.Marshal(resp) encodes it: the members in the
// order and with the omitempty rules of graphql.Response's tags, the data compacted and
// HTML-escaped as encoding/json does a json.RawMessage (see appendData), and the other
// members through encoding/json.
func appendResponse(dst []byte, resp *graphql.Response) ([]byte, error) {
	if resp == nil {
		return append(dst, "null"...), nil
	}
	dst = slices.Grow(dst, len(resp.Data)+len(`{"data":}`))
	dst = append(dst, '{')
	var err error
	if len(resp.Errors) > 0 {
		dst = append(dst, `"errors":`...)
		if dst, err = appendMarshal(dst, &resp.Errors); err != nil {
			return dst, err
		}
		dst = append(dst, ',')
	}
	dst = append(dst, `"data":`...)
	if resp.Data == nil {
		dst = append(dst, "null"...)
	} else if dst, err = appendData(dst, resp.Data); err != nil {
		return dst, err
	}
	if resp.Label != "" {
		dst = append(dst, `,"label":`...)
		if dst, err = appendMarshal(dst, &resp.Label); err != nil {
			return dst, err
		}
	}
	if len(resp.Path) > 0 {
		dst = append(dst, `,"path":`...)
		if dst, err = appendMarshal(dst, &resp.Path); err != nil {
			return dst, err
		}
	}
	if resp.HasNext != nil {
		dst = append(dst, `,"hasNext":`...)
		dst = strconv.AppendBool(dst, *resp.HasNext)
	}
	if len(resp.Extensions) > 0 {
		dst = append(dst, `,"extensions":`...)
		if dst, err = appendMarshal(dst, &resp.Extensions); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

// appendMarshal appends the encoding of *v. v is a pointer to the member so that its
// value is addressable, as a member of the response json.Marshal is given.
func appendMarshal(dst []byte, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

// jsonHex are the digits of encoding/json's \u escapes (lower case, where the catalog
// writer's are upper case).
const jsonHex = "0123456789abcdef"

// errData reports data that is not JSON.
var errData = errors.New("the data is not JSON")

// The classes of the bytes of the data, in a string (dataInString) and outside one
// (dataOutside).
const (
	// dataPlain is copied as it is: in a string, any byte not in another class; outside,
	// the bytes of numbers and literals, ',' and ':'.
	dataPlain = iota
	dataQuote
	dataBackslash // in a string
	dataSpace     // outside a string: JSON whitespace, dropped
	dataHTML      // in a string: '<', '>', '&', escaped
	dataLineSep   // in a string: 0xE2, the first byte of U+2028 and U+2029, escaped
	dataOpen      // outside a string: '{', '['
	dataClose     // outside a string: '}', ']'
	dataBad       // cannot be there: control characters in a string, anything else outside
)

var dataInString, dataOutside = dataClasses()

// dataEscapes are the characters a backslash may escape in a JSON string.
var dataEscapes = [256]bool{'"': true, '\\': true, '/': true, 'b': true, 'f': true, 'n': true, 'r': true, 't': true, 'u': true}

// dataClasses returns the classes of the 256 bytes in a string and outside one.
func dataClasses() (in, out [256]uint8) {
	for c := range 0x20 {
		in[c] = dataBad
	}
	in['"'], in['\\'] = dataQuote, dataBackslash
	in['<'], in['>'], in['&'] = dataHTML, dataHTML, dataHTML
	in[0xE2] = dataLineSep
	for c := range out {
		out[c] = dataBad
	}
	for _, c := range []byte(",:-+.0123456789eEtrufalsn") {
		out[c] = dataPlain
	}
	out['"'] = dataQuote
	out[' '], out['\t'], out['\n'], out['\r'] = dataSpace, dataSpace, dataSpace, dataSpace
	out['{'], out['['] = dataOpen, dataOpen
	out['}'], out[']'] = dataClose, dataClose
	return in, out
}

// appendData appends src, a JSON value, as json.Marshal writes a json.RawMessage holding
// it: without the whitespace between tokens, with <, >, & and U+2028, U+2029 escaped
// (\u003c, \u003e, \u0026, \u2028, \u2029), the rest as it is. It does not validate src
// as encoding/json does, whose scanner state machine cost more than the rest of a large
// answer: it refuses only what one pass over the bytes shows is not JSON (nothing but
// whitespace, a string not ended or holding a control character or an unknown escape, a
// byte outside strings that no token has, brackets that do not balance). Grammar
// errors such as a missing colon go through as they are; the executor writes JSON.
func appendData(dst, src []byte) ([]byte, error) {
	origLen := len(dst)
	start, depth := 0, 0
	for i := 0; i < len(src); {
		switch dataOutside[src[i]] {
		case dataPlain:
			i++
		case dataQuote:
			i++
		str:
			for {
				i = skipInString(src, i)
				if i == len(src) {
					return dst[:origLen], errData
				}
				switch c := src[i]; dataInString[c] {
				case dataQuote:
					i++
					break str
				case dataBackslash:
					if i+1 == len(src) || !dataEscapes[src[i+1]] {
						return dst[:origLen], errData
					}
					i += 2
				case dataHTML:
					dst = append(dst, src[start:i]...)
					dst = append(dst, '\\', 'u', '0', '0', jsonHex[c>>4], jsonHex[c&0xf])
					i++
					start = i
				case dataLineSep:
					if i+2 < len(src) && src[i+1] == 0x80 && src[i+2]&^1 == 0xA8 {
						dst = append(dst, src[start:i]...)
						dst = append(dst, '\\', 'u', '2', '0', '2', jsonHex[src[i+2]&0xf])
						i += 3
						start = i
					} else {
						i++
					}
				default:
					return dst[:origLen], errData
				}
			}
		case dataSpace:
			dst = append(dst, src[start:i]...)
			i++
			start = i
		case dataOpen:
			depth++
			i++
		case dataClose:
			if depth--; depth < 0 {
				return dst[:origLen], errData
			}
			i++
		default:
			return dst[:origLen], errData
		}
	}
	dst = append(dst, src[start:]...)
	if depth != 0 || len(dst) == origLen {
		return dst[:origLen], errData
	}
	return dst, nil
}

// skipInString returns the index of the first byte of src from i on that a string
// cannot hold as it is (see dataInString), or len(src).
func skipInString(src []byte, i int) int {
	for i < len(src) && dataInString[src[i]] == dataPlain {
		i++
	}
	return i
}
