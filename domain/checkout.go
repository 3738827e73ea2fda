package domain

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"
)

// Checkout buys carts: it places the order (reserving stock), takes the payment, and
// settles the order either way.
//
// A declined (or failed) payment cancels the order with the reason and returns its stock
// at once, so nothing stays reserved for a purchase that did not happen, and leaves the
// cart as it was, so the shopper can try again with another payment method (and a new
// idempotency key). A successful payment marks the order PAID and empties the cart.
type Checkout struct {
	Orders   OrderStore
	Carts    CartStore
	Payments PaymentProvider
	// PaymentTimeout bounds the wait for the payment provider; zero means 10 seconds.
	PaymentTimeout time.Duration
}

// CheckoutInput is a checkout request as the client sent it.
type CheckoutInput struct {
	CartID          string
	PaymentMethod   PaymentMethod
	ShippingAddress Address
	IdempotencyKey  string
	Email           string
	SessionID       string
	// DiscountCodes are the codes to use; nil means the cart's.
	DiscountCodes []string
	// ShippingMethodID is the chosen shipping method; zero picks the default.
	ShippingMethodID int64
}

// Validate returns the problems of the input, for a guest (needing an email) or not.
func (in CheckoutInput) Validate(guest bool) []*Error {
	var errs []*Error
	key := in.IdempotencyKey
	if strings.TrimSpace(key) == "" || len(key) > MaxIdempotencyKeyLength || !utf8.ValidString(key) || strings.ContainsRune(key, 0) {
		errs = append(errs, FieldError([]string{"input", "idempotencyKey"}, "idempotencyKey must be 1 to %d characters", MaxIdempotencyKeyLength))
	}
	if !in.PaymentMethod.Valid() {
		errs = append(errs, FieldError([]string{"input", "paymentMethod"}, "unknown payment method"))
	}
	errs = append(errs, in.ShippingAddress.Validate("input", "shippingAddress")...)
	if len(in.SessionID) > MaxSessionIDLength || !validText(in.SessionID) {
		errs = append(errs, FieldError([]string{"input", "sessionId"}, "sessionId must be at most %d characters", MaxSessionIDLength))
	}
	if _, e := NormalizeDiscountCodes([]string{"input", "discountCodes"}, in.DiscountCodes); e != nil {
		errs = append(errs, e)
	}
	if guest {
		if in.Email == "" {
			errs = append(errs, FieldError([]string{"input", "email"}, "guests must give an email"))
		} else if e := ValidateEmail(in.Email); e != nil {
			errs = append(errs, FieldError([]string{"input", "email"}, "%s", e.Message))
		}
	}
	return errs
}

// Run checks out the cart of in for the caller. Business failures (bad input, an empty or
// foreign cart, stock, a reused key) are user errors; a declined payment is a CANCELLED
// order. Retrying with the same idempotency key returns the same order.
func (c *Checkout) Run(ctx context.Context, caller Identity, signedIn bool, in CheckoutInput) (Order, []UserError, error) {
	in.ShippingAddress = in.ShippingAddress.Normalize()
	in.Email = NormalizeEmail(in.Email)
	if errs := in.Validate(!signedIn); len(errs) > 0 {
		return Order{}, userErrors(errs), nil
	}
	cart, err := c.Carts.Cart(ctx, in.CartID)
	if IsNotFound(err) || (err == nil && !cart.VisibleTo(caller, signedIn)) {
		return Order{}, []UserError{{Field: []string{"input", "cartId"}, Message: "no such cart", Code: "NOT_FOUND"}}, nil
	}
	if err != nil {
		return Order{}, nil, err
	}
	req := CheckoutRequest{Cart: cart, Email: in.Email, PaymentMethod: in.PaymentMethod,
		ShippingAddress: in.ShippingAddress, IdempotencyKey: in.IdempotencyKey, SessionID: in.SessionID,
		DiscountCodes: cart.DiscountCodes, ShippingMethodID: in.ShippingMethodID}
	if in.DiscountCodes != nil {
		req.DiscountCodes, _ = NormalizeDiscountCodes(nil, in.DiscountCodes)
	}
	if signedIn {
		req.UserID, req.Email = caller.UserID, caller.Email
	}
	if len(cart.Lines) == 0 {
		// An emptied cart may be the one a previous attempt with this key bought.
		prior, err := c.Orders.OrderByIdempotencyKey(ctx, req.IdempotencyScope(), req.IdempotencyKey)
		if err == nil && prior.CartID == cart.ID {
			return prior, nil, nil
		}
		if err != nil && !IsNotFound(err) {
			return Order{}, nil, err
		}
		return Order{}, []UserError{{Field: []string{"input", "cartId"}, Message: "the cart is empty", Code: "EMPTY_CART"}}, nil
	}
	order, existing, err := c.Orders.PlaceOrder(ctx, req)
	if err != nil {
		ue, err := SplitBusiness(err)
		return Order{}, ue, err
	}
	if existing {
		return order, nil, nil
	}
	payCtx, cancel := context.WithTimeout(ctx, c.paymentTimeout())
	res, err := c.Payments.Charge(payCtx, PaymentRequest{OrderID: order.ID, Amount: order.Total, Method: order.PaymentMethod, Email: order.Email, Payer: order.ShippingAddress.Name})
	cancel()
	// The order's fate must be recorded even if the client has gone away meanwhile.
	settle := context.WithoutCancel(ctx)
	switch {
	case err != nil:
		order, err = c.Orders.FailPayment(settle, order.ID, "payment failed: the payment provider did not answer")
	case !res.Approved:
		order, err = c.Orders.FailPayment(settle, order.ID, "payment declined: "+res.Reason)
	default:
		order, err = c.Orders.RecordPayment(settle, order.ID, res.Reference)
		if err == nil {
			ordered := make([]CartLineInput, len(cart.Lines))
			for i, l := range cart.Lines {
				ordered[i] = CartLineInput{VariantID: l.VariantID, Quantity: l.Quantity}
			}
			// The order stands whether or not the cart can be emptied now.
			_ = c.Carts.Clear(settle, cart.ID, ordered)
		}
	}
	if err != nil {
		return Order{}, nil, err
	}
	return order, nil, nil
}

func (c *Checkout) paymentTimeout() time.Duration {
	if c.PaymentTimeout > 0 {
		return c.PaymentTimeout
	}
	return 10 * time.Second
}

func userErrors(errs []*Error) []UserError {
	out := make([]UserError, len(errs))
	for i, e := range errs {
		out[i] = UserErrorFrom(e)
	}
	return out
}

// SplitBusiness sorts an error: business failures (a *BusinessError, or an *Error coded
// BAD_USER_INPUT, NOT_FOUND or CONFLICT) come back as user errors with a nil error;
// anything else comes back as the error.
func SplitBusiness(err error) ([]UserError, error) {
	if err == nil {
		return nil, nil
	}
	var be *BusinessError
	if errors.As(err, &be) {
		return []UserError{be.UserError}, nil
	}
	var de *Error
	if errors.As(err, &de) {
		switch de.Code {
		case CodeBadUserInput, CodeNotFound, CodeConflict:
			return []UserError{UserErrorFrom(de)}, nil
		}
	}
	return nil, err
}
