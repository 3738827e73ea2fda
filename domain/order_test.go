package domain

import "testing"

// TestStateMachine walks every pair of statuses: exactly the documented transitions are
// legal, and an illegal one names the current status.
func TestStateMachine(t *testing.T) {
	legal := map[[2]OrderStatus]bool{
		{StatusPending, StatusPaid}:       true,
		{StatusPending, StatusCancelled}:  true,
		{StatusPaid, StatusShipped}:       true,
		{StatusPaid, StatusCancelled}:     true,
		{StatusShipped, StatusDelivered}:  true,
		{StatusDelivered, StatusReturned}: true,
	}
	for _, from := range AllOrderStatuses {
		for _, to := range AllOrderStatuses {
			want := legal[[2]OrderStatus{from, to}]
			if got := from.CanBecome(to); got != want {
				t.Errorf("%s → %s: allowed %v, want %v", from, to, got, want)
			}
			err := from.CheckTransition(to)
			if want != (err == nil) {
				t.Errorf("%s → %s: CheckTransition = %v", from, to, err)
			}
			if err != nil && (err.Code != "ILLEGAL_TRANSITION" || !contains(err.Message, string(from))) {
				t.Errorf("%s → %s: error %+v does not name the current status", from, to, err)
			}
		}
	}
	for _, s := range []OrderStatus{StatusCancelled, StatusReturned} {
		if !s.Final() {
			t.Errorf("%s is not final", s)
		}
	}
	if StatusDelivered.Final() || StatusPending.Final() {
		t.Error("DELIVERED and PENDING are not final")
	}
	for s, want := range map[OrderStatus]bool{StatusCancelled: true, StatusReturned: true, StatusPaid: false, StatusShipped: false} {
		if s.ReturnsStock() != want {
			t.Errorf("%s returns stock: %v", s, !want)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestAddressValidation(t *testing.T) {
	good := Address{Name: "Ada", Line1: "1 Main St", City: "Pune", PostalCode: "411001", Country: "in"}.Normalize()
	if errs := good.Validate("a"); len(errs) != 0 {
		t.Fatalf("good address refused: %v", errs)
	}
	tests := map[string]Address{
		"name":       {Line1: "x", City: "x", PostalCode: "1", Country: "IN"},
		"line1":      {Name: "x", City: "x", PostalCode: "1", Country: "IN"},
		"city":       {Name: "x", Line1: "x", PostalCode: "1", Country: "IN"},
		"postalCode": {Name: "x", Line1: "x", City: "x", Country: "IN"},
		"country":    {Name: "x", Line1: "x", City: "x", PostalCode: "1", Country: "India"},
	}
	for field, a := range tests {
		errs := a.Normalize().Validate("a")
		if len(errs) != 1 || errs[0].Field[1] != field {
			t.Errorf("missing %s: %v", field, errs)
		}
	}
}
