package domain

// MaxPageSize caps first and last on every connection.
const MaxPageSize = 100

// DefaultPageSize is the page length when a client asks for neither first nor last.
const DefaultPageSize = 20

// Cursor points at an item of an ordered listing: the value of the sort key of that item
// (as text) and its id, the tie-breaker. Clients only ever see it encoded and opaque.
type Cursor struct {
	Sort  string
	Value string
	ID    int64
}

// PageArgs is a Relay page request. At most one of First and Last is set once Normalize
// has run; After and Before are optional bounds.
type PageArgs struct {
	First  *int
	After  *Cursor
	Last   *int
	Before *Cursor
}

// Normalize validates the arguments and returns them with First defaulted to
// DefaultPageSize when neither First nor Last is set. It returns a BAD_USER_INPUT error for
// a negative size, one over MaxPageSize, or both First and Last.
func (p PageArgs) Normalize() (PageArgs, error) {
	if p.First != nil && p.Last != nil {
		return p, FieldError([]string{"last"}, "pass either first or last, not both")
	}
	for name, v := range map[string]*int{"first": p.First, "last": p.Last} {
		if v == nil {
			continue
		}
		if *v < 0 {
			return p, FieldError([]string{name}, "%s must not be negative", name)
		}
		if *v > MaxPageSize {
			return p, FieldError([]string{name}, "%s must be at most %d", name, MaxPageSize)
		}
	}
	if p.First == nil && p.Last == nil {
		n := DefaultPageSize
		p.First = &n
	}
	return p, nil
}

// Backward reports whether the page is counted from its end (last/before).
func (p PageArgs) Backward() bool { return p.Last != nil }

// Limit returns the number of items requested. It assumes Normalize has run.
func (p PageArgs) Limit() int {
	if p.Last != nil {
		return *p.Last
	}
	return *p.First
}
