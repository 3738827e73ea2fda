package api

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// responseCases are responses of every shape graphql.Response takes, with the strings
// encoding/json escapes or must leave alone.
func responseCases() map[string]*graphql.Response {
	yes, no := true, false
	tricky := "<b>&</b> \u2028 \u2029 ünïcødé 😀 \"q\" \\ / \t\n\u0001 \u2027 €"
	trickyData, _ := json.Marshal(map[string]any{"s": tricky, "n": []any{1, 2.5, -3e10, nil, true, false, map[string]any{}}})
	var viaEncoder bytes.Buffer
	_ = json.NewEncoder(&viaEncoder).Encode(map[string]any{"s": tricky}) // a trailing newline, as graphql.MarshalMap writes
	return map[string]*graphql.Response{
		"nil":                  nil,
		"empty":                {},
		"data null":            {Data: json.RawMessage(`null`)},
		"empty object":         {Data: json.RawMessage(`{}`)},
		"top-level string":     {Data: json.RawMessage(`"<a>"`)},
		"top-level number":     {Data: json.RawMessage(`-1.5e+3`)},
		"top-level array":      {Data: json.RawMessage(`[1,"&",[],{}]`)},
		"html":                 {Data: json.RawMessage(`{"product":{"name":"<b>&</b>","description":"<p>a &amp; b</p>"}}`)},
		"line separators":      {Data: json.RawMessage("{\"a\":\"x\u2028y\u2029z\",\"b\":\"\u2028\"}")},
		"near line separators": {Data: json.RawMessage("{\"a\":\"\u2027\u202a\u20ac\xe2\x80\",\"b\":\"\xe2\"}")},
		"invalid UTF-8":        {Data: json.RawMessage("{\"a\":\"\xff\xfe<\xc3\"}")},
		"escapes":              {Data: json.RawMessage(`{"a":"\"\\\/\b\f\n\r\t\u0000\u001F\u2028\u003c<","\"k\\":"\\"}`)},
		"nested":               {Data: json.RawMessage(`{"a":{"b":[{"c":[[[]]]},{"d":null}],"e":{"f":{"g":"<"}}}}`)},
		"whitespace":           {Data: json.RawMessage(" {\n\t\"a\" : [ 1 , \"x y\" ,\r\n true ] , \"b\" : { } }\n")},
		"marshalled":           {Data: trickyData},
		"json.Encoder":         {Data: viaEncoder.Bytes()},
		"errors, no data": {Errors: gqlerror.List{{Message: "unknown field <x> & more \u2028",
			Locations: []gqlerror.Location{{Line: 1, Column: 3}, {Line: 2}}, Extensions: map[string]any{"code": "GRAPHQL_VALIDATION_FAILED"}}}},
		"errors and data": {
			Errors: gqlerror.List{
				{Message: "forbidden", Path: ast.Path{ast.PathName("order"), ast.PathIndex(3), ast.PathName("<x>")},
					Extensions: map[string]any{"code": "FORBIDDEN", "requestId": "abc", "nested": map[string]any{"z": []any{1, "&"}, "a": nil}}},
				{Message: "second", Err: errors.New("hidden"), Rule: "hidden"},
			},
			Data: json.RawMessage(`{"order":null}`)},
		"empty errors list": {Errors: gqlerror.List{}, Data: json.RawMessage(`{}`)},
		"nil error":         {Errors: gqlerror.List{nil}},
		"extensions": {Data: json.RawMessage(`{"a":1}`), Extensions: map[string]any{"cost": map[string]any{"requested": 12, "max": 1000},
			"tracing": []any{"<", 1.25}, "b": struct {
				X int    `json:"x"`
				Y string `json:"y,omitempty"`
			}{X: 1}}},
		"empty extensions":    {Data: json.RawMessage(`{}`), Extensions: map[string]any{}},
		"deferred, has next":  {Data: json.RawMessage(`{"name":"<i>"}`), Label: "a <label> & more", Path: ast.Path{ast.PathName("product"), ast.PathIndex(0)}, HasNext: &yes},
		"deferred, last":      {Data: json.RawMessage(`null`), HasNext: &no, Path: ast.Path{}},
		"every member":        {Errors: gqlerror.List{{Message: "e"}}, Data: json.RawMessage(`{"x":"\u2029"}`), Label: "l", Path: ast.Path{ast.PathIndex(0)}, HasNext: &yes, Extensions: map[string]any{"k": "v"}},
		"only has next false": {HasNext: &no},
	}
}

// TestAppendResponseMatchesMarshal: the response is the bytes json.Marshal makes of it.
func TestAppendResponseMatchesMarshal(t *testing.T) {
	for name, resp := range responseCases() {
		t.Run(name, func(t *testing.T) {
			checkAppendResponse(t, resp)
		})
	}
}

// checkAppendResponse fails unless appendResponse writes resp as json.Marshal does, after
// bytes already in the buffer.
func checkAppendResponse(t *testing.T, resp *graphql.Response) {
	t.Helper()
	want, err := json.Marshal(resp)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	got, err := appendResponse([]byte("prefix"), resp)
	if err != nil {
		t.Fatalf("appendResponse: %v (json.Marshal wrote %s)", err, want)
	}
	if !bytes.HasPrefix(got, []byte("prefix")) || !bytes.Equal(got[len("prefix"):], want) {
		t.Fatalf("appendResponse wrote\n%q\njson.Marshal\n%q", got, want)
	}
}

// TestAppendResponseRefusesBrokenData: data that a pass over its bytes shows is not JSON
// is refused, as json.Marshal refuses it, and nothing is left in the buffer.
func TestAppendResponseRefusesBrokenData(t *testing.T) {
	for _, data := range []string{
		"", " ", "\n\t", `{`, `}`, `{"a":[1,2}`, `{"a":"b"}}`, `[[]`, `"abc`, `{"a":"b`, `"a\`, `"a\q"`, `"a\<"`,
		"\"a\x01\"", "\"tab\tinside\"", "\"new\nline\"", `<`, `{"a":<b>}`, "\xe2\x80\xa8", `{"a":'b'}`, `{"a":undefined}`, `{"a":1}x`,
	} {
		resp := &graphql.Response{Data: json.RawMessage(data)}
		if _, err := json.Marshal(resp); err == nil {
			t.Fatalf("%q: json.Marshal takes it; the case is wrong", data)
		}
		got, err := appendResponse([]byte("prefix"), resp)
		if err == nil {
			t.Errorf("%q: appendResponse wrote %q", data, got)
		}
	}
	// An error json.Marshal finds in the other members is returned too.
	for name, resp := range map[string]*graphql.Response{
		"extensions": {Data: json.RawMessage(`{}`), Extensions: map[string]any{"x": math.NaN()}},
		"errors":     {Errors: gqlerror.List{{Message: "m", Extensions: map[string]any{"c": make(chan int)}}}},
	} {
		if _, err := appendResponse(nil, resp); err == nil {
			t.Errorf("%s: appendResponse wrote a response json.Marshal refuses", name)
		}
	}
}

// FuzzAppendResponse compares appendResponse with json.Marshal over responses made of the
// fuzzer's bytes and strings: its data as given when it is JSON, and in any case the
// strings in data, errors, label, path and extensions.
func FuzzAppendResponse(f *testing.F) {
	for _, resp := range responseCases() {
		if resp == nil {
			continue
		}
		f.Add([]byte(resp.Data), "<b>&</b>", "label", "name", 3, uint8(0xff))
	}
	f.Add([]byte(`{"a":"\u2028"}`), "\u2028\u2029", "", "", 0, uint8(0))
	f.Add([]byte("\"\xe2\x80\xa9\""), "\xe2\x80", "&", "<", -1, uint8(0x55))
	f.Add([]byte(`  [ "x" , { "y" : null } ]  `), "ünï\"\\", "\x00", "\xff", 1<<40, uint8(0xaa))
	f.Fuzz(func(t *testing.T, data []byte, s, label, key string, index int, flags uint8) {
		resp := &graphql.Response{Data: data}
		if flags&1 != 0 {
			resp.Errors = gqlerror.List{{Message: s, Path: ast.Path{ast.PathName(key), ast.PathIndex(index)},
				Locations: []gqlerror.Location{{Line: index, Column: len(s)}}, Extensions: map[string]any{"code": key, s: label}}}
		}
		if flags&2 != 0 {
			resp.Label = label
		}
		if flags&4 != 0 {
			resp.Path = ast.Path{ast.PathName(s), ast.PathIndex(index)}
		}
		if flags&8 != 0 {
			hasNext := flags&16 != 0
			resp.HasNext = &hasNext
		}
		if flags&32 != 0 {
			resp.Extensions = map[string]any{key: s, "cost": index}
		}
		if json.Valid(data) {
			checkAppendResponse(t, resp)
		} else {
			// Not JSON: json.Marshal refuses it; appendResponse refuses what it sees, and
			// must not fail in any other way.
			_, _ = appendResponse(nil, resp)
		}
		made, err := json.Marshal(map[string]any{"s": s, key: []any{label, index, map[string]any{s: nil}}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Data = made
		checkAppendResponse(t, resp)
	})
}

// BenchmarkAppendResponse measures the encoding of a dashboard series' answer (2,160
// points), with appendResponse into a reused buffer and with json.Marshal as gqlgen
// writes it.
func BenchmarkAppendResponse(b *testing.B) {
	var data bytes.Buffer
	data.WriteString(`{"dashboard":{"asOf":"2026-12-07T14:00:00Z","revenueSeries":[`)
	for i := range 2160 {
		if i > 0 {
			data.WriteByte(',')
		}
		fmt.Fprintf(&data, `{"bucket":"2026-09-%02dT%02d:00:00Z","revenue":{"amount":"%d.%02d","currencyCode":"USD"},"orders":%d}`, 1+i/24%30, i%24, i*7, i%100, i%5)
	}
	data.WriteString(`]}}`)
	resp := &graphql.Response{Data: data.Bytes(), Extensions: map[string]any{"cost": map[string]any{"requested": 2160}}}
	b.Run("appendResponse", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(data.Len()))
		var buf []byte
		for b.Loop() {
			var err error
			if buf, err = appendResponse(buf[:0], resp); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(data.Len()))
		for b.Loop() {
			if _, err := json.Marshal(resp); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// stubSchema is a schema of one query field, name, whose answer is a response the test
// sets; the operation's context is checked as gqlgen checks it.
func stubSchema(answer func() *graphql.Response) graphql.ExecutableSchema {
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: `type Query { name: String! find(id: Int!): String! }`})
	return &graphql.ExecutableSchemaMock{
		SchemaFunc: func() *ast.Schema { return schema },
		ExecFunc: func(ctx context.Context) graphql.ResponseHandler {
			return graphql.OneShot(answer())
		},
		ComplexityFunc: func(context.Context, string, string, int, map[string]any) (int, bool) { return 1, true },
	}
}

// failingBody is a request body whose read fails.
type failingBody struct{}

func (failingBody) Read([]byte) (int, error) { return 0, errors.New("connection reset") }
func (failingBody) Close() error             { return nil }

// TestPostTransportMatchesGqlgenStub sends the same requests to two gqlgen servers over a
// stub schema, one with gqlgen's POST transport and one with shopgraph's, in each of
// transport.POST's configurations: every answer must be the same status, headers and
// bytes. The stub's answers cover what a real schema does not give: data that is not
// JSON (gqlgen's handler recovers the panic), no response at all, a body whose read
// fails.
func TestPostTransportMatchesGqlgenStub(t *testing.T) {
	t.Parallel()
	answers := map[string]*graphql.Response{
		"html":    {Data: json.RawMessage(`{"name":"<b>&</b>\u2028"}`), Extensions: map[string]any{"cost": 1}},
		"errors":  {Errors: gqlerror.List{{Message: "boom <&>", Path: ast.Path{ast.PathName("name")}}}, Data: json.RawMessage(`null`)},
		"no JSON": {Data: json.RawMessage(`{"name":"unterminated}`)},
		"nothing": nil,
		"empty":   {Data: json.RawMessage{}},
	}
	configs := map[string]struct {
		gqlgen transport.POST
		ours   postTransport
	}{
		"default": {},
		"graphql-response+json by default": {transport.POST{UseGrapQLResponseJsonByDefault: true},
			postTransport{graphQLResponseByDefault: true}},
		"explicit content type": {transport.POST{ResponseHeaders: map[string][]string{"Content-Type": {"application/json"}}},
			postTransport{responseHeaders: map[string][]string{"Content-Type": {"application/json"}}}},
		"other headers": {transport.POST{ResponseHeaders: map[string][]string{"X-Extra": {"a", "b"}, "content-type": {"text/plain"}}},
			postTransport{responseHeaders: map[string][]string{"X-Extra": {"a", "b"}, "content-type": {"text/plain"}}}},
	}
	type request struct {
		body   string
		accept string
		ctype  string
		failed bool // the body's read fails
	}
	requests := map[string]request{
		"query":                   {body: `{"query":"{ name }"}`},
		"variables and extension": {body: `{"query":"query($id: Int!) { find(id: $id) }","variables":{"id":1.50},"extensions":{"x":[1]}}`},
		"parse error":             {body: `{"query":"{ name "}`},
		"validation error":        {body: `{"query":"{ nope }"}`},
		"bad variable":            {body: `{"query":"query($id: Int!) { find(id: $id) }","variables":{"id":"x"}}`},
		"unknown operation":       {body: `{"query":"query A { name } query B { name }","operationName":"C"}`},
		"two operations unnamed":  {body: `{"query":"query A { name } query B { name }"}`},
		"no query":                {body: `{}`},
		"bad JSON":                {body: `{"query": "{ name }"`},
		"wrong type":              {body: `{"query": 5}`},
		"empty body":              {body: ``},
		"two values":              {body: `{"query":"{ name }"} {"query":"{ name }"}`},
		"body read fails":         {failed: true},
		"charset":                 {body: `{"query":"{ name }"}`, ctype: "application/json; charset=utf-8"},
	}
	accepts := []string{"", "application/json", "application/graphql-response+json", "*/*", "application/*", "text/html",
		"text/html, application/graphql-response+json;q=0.9, application/json", "bad/;;, application/json", "application/graphql-response+json; charset=utf-8"}

	for aname, answer := range answers {
		for cname, config := range configs {
			// What each server's handler recovered from the transport (the requests are
			// served one at a time, on the test's goroutine).
			panics := map[string]string{}
			server := func(name string, tr graphql.Transport) http.Handler {
				srv := handler.New(stubSchema(func() *graphql.Response { return answer }))
				srv.AddTransport(tr)
				srv.SetRecoverFunc(func(_ context.Context, err any) error {
					panics[name] = fmt.Sprint(err)
					return errors.New("recovered")
				})
				return srv
			}
			gqlgen, ours := server("gqlgen", config.gqlgen), server("ours", config.ours)
			for rname, r := range requests {
				for _, accept := range accepts {
					name := fmt.Sprintf("%s answer, %s, %s request, Accept %q", aname, cname, rname, accept)
					do := func(h http.Handler) *httptest.ResponseRecorder {
						req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(r.body))
						if r.failed {
							req.Body = failingBody{}
						}
						req.Header.Set("Content-Type", cmp.Or(r.ctype, "application/json"))
						if accept != "" {
							req.Header.Set("Accept", accept)
						}
						if !config.ours.Supports(req) || !config.gqlgen.Supports(req) {
							t.Fatalf("%s: not supported", name)
						}
						w := httptest.NewRecorder()
						h.ServeHTTP(w, req)
						return w
					}
					want, got := do(gqlgen), do(ours)
					if got.Code != want.Code || !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
						t.Errorf("%s: shopgraph's POST answers\n%d %s\ngqlgen's\n%d %s", name, got.Code, got.Body, want.Code, want.Body)
					}
					if fmt.Sprint(got.Header()) != fmt.Sprint(want.Header()) {
						t.Errorf("%s: shopgraph's headers %v, gqlgen's %v", name, got.Header(), want.Header())
					}
					if (panics["ours"] == "") != (panics["gqlgen"] == "") ||
						panics["ours"] != "" && !strings.HasPrefix(panics["ours"], "unable to marshal "+string(answer.Data)+": ") {
						t.Errorf("%s: shopgraph's POST panicked %q, gqlgen's %q", name, panics["ours"], panics["gqlgen"])
					}
					clear(panics)
				}
			}
		}
	}
}

// TestPostTransportSupports: the transport takes what gqlgen's POST takes.
func TestPostTransportSupports(t *testing.T) {
	for _, r := range []struct {
		method, ctype, upgrade string
	}{
		{"POST", "application/json", ""}, {"POST", "application/json; charset=utf-8", ""}, {"POST", "APPLICATION/JSON", ""},
		{"POST", "application/json", "websocket"}, {"GET", "application/json", ""}, {"PUT", "application/json", ""},
		{"POST", "application/graphql", ""}, {"POST", "application/x-www-form-urlencoded", ""}, {"POST", "", ""},
		{"POST", "application/json;;", ""}, {"POST", "text/plain", ""}, {"POST", "multipart/form-data; boundary=x", ""},
	} {
		req := httptest.NewRequest(r.method, "/graphql", io.NopCloser(strings.NewReader("")))
		req.Header.Set("Content-Type", r.ctype)
		if r.upgrade != "" {
			req.Header.Set("Upgrade", r.upgrade)
		}
		if got, want := (postTransport{}).Supports(req), (transport.POST{}).Supports(req); got != want {
			t.Errorf("%+v: supported %v, by gqlgen's POST %v", r, got, want)
		}
	}
}
