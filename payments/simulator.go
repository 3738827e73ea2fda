// Package payments holds shopgraph's payment providers. Simulator stands in for a real
// gateway in development, tests and demos.
package payments

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/shopgraph/shopgraph/domain"
)

// Simulator is a payment gateway that approves every payment except the documented test
// inputs, which are chosen by the payer's name (the shipping address's name):
//
//   - a name containing "decline" (any case) is declined with "card declined";
//   - a name containing "timeout" never answers, so the caller's deadline expires;
//   - anything else is approved with a reference "sim_<hex>".
//
// Refunds follow the same inputs, plus one of their own:
//
//   - a name containing "norefund" (any case) has every refund declined with "refund
//     declined" (its charges are approved), so a test can make a refund fail;
//   - "timeout" never answers, as for charges;
//   - anything else is approved with a reference "simrf_<hex>".
type Simulator struct{}

var _ domain.PaymentProvider = Simulator{}

// Charge answers as the type's comment describes.
func (Simulator) Charge(ctx context.Context, r domain.PaymentRequest) (domain.PaymentResult, error) {
	payer := strings.ToLower(r.Payer)
	switch {
	case strings.Contains(payer, "timeout"):
		<-ctx.Done()
		return domain.PaymentResult{}, fmt.Errorf("charging order %d: %w", r.OrderID, ctx.Err())
	case strings.Contains(payer, "decline"):
		return domain.PaymentResult{Approved: false, Reason: "card declined"}, nil
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return domain.PaymentResult{Approved: true, Reference: "sim_" + hex.EncodeToString(b)}, nil
}

// Refund answers as the type's comment describes.
func (Simulator) Refund(ctx context.Context, r domain.RefundRequest) (domain.PaymentResult, error) {
	payer := strings.ToLower(r.Payer)
	switch {
	case strings.Contains(payer, "timeout"):
		<-ctx.Done()
		return domain.PaymentResult{}, fmt.Errorf("refunding order %d: %w", r.OrderID, ctx.Err())
	case strings.Contains(payer, "norefund"):
		return domain.PaymentResult{Approved: false, Reason: "refund declined"}, nil
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return domain.PaymentResult{Approved: true, Reference: "simrf_" + hex.EncodeToString(b)}, nil
}
