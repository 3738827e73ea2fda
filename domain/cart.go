package domain

import (
	"context"
	"time"
)

// Cart limits.
const (
	// MaxLineQuantity caps the units of one product in a cart.
	MaxLineQuantity = 99
	// MaxCartLines caps the distinct products in a cart.
	MaxCartLines = 100
	// CartTTL is how long a cart lives untouched.
	CartTTL = 30 * 24 * time.Hour
)

// Cart is a shopper's basket. It holds variant ids and quantities only: products, names,
// prices and stock are always read fresh from the catalog. A guest cart (UserID zero) is reached by
// its unguessable id alone; a customer's cart only by its customer.
type Cart struct {
	ID     string
	UserID int64
	Lines  []CartLine
	// DiscountCodes are the codes the shopper entered, normalized, in their order.
	DiscountCodes []string
	UpdatedAt     time.Time
}

// CartLine is one variant of a product in a cart. There is at most one line per variant.
// Carts written before variants existed name products; each such product's default
// variant has the product's id, so their lines name that variant.
type CartLine struct {
	VariantID int64
	Quantity  int
	AddedAt   time.Time
}

// TotalQuantity returns the number of units in the cart.
func (c Cart) TotalQuantity() int {
	n := 0
	for _, l := range c.Lines {
		n += l.Quantity
	}
	return n
}

// VisibleTo reports whether the caller may read and change the cart: anyone holding a
// guest cart's id, only its owner for a customer's cart.
func (c Cart) VisibleTo(id Identity, signedIn bool) bool {
	return c.UserID == 0 || (signedIn && id.UserID == c.UserID)
}

// CartLineInput adds units of a variant.
type CartLineInput struct {
	VariantID int64
	Quantity  int
}

// CartLineUpdate sets the quantity of the line of a variant; zero removes it.
type CartLineUpdate struct {
	VariantID int64
	Quantity  int
}

// ValidateQuantity returns a BAD_USER_INPUT error blaming path when q is not a quantity
// a line may be given (1 to MaxLineQuantity, or 0 where zero is allowed).
func ValidateQuantity(path []string, q int, zeroAllowed bool) *Error {
	if (q == 0 && zeroAllowed) || (q >= 1 && q <= MaxLineQuantity) {
		return nil
	}
	if zeroAllowed {
		return FieldError(path, "quantity must be between 0 and %d", MaxLineQuantity)
	}
	return FieldError(path, "quantity must be between 1 and %d", MaxLineQuantity)
}

// CartStore keeps carts. Every write is atomic on the server (no read-modify-write), so
// concurrent edits of one cart lose nothing, and refreshes the cart's time to live.
// Errors: NOT_FOUND for a cart that does not exist (or expired); BAD_USER_INPUT with the
// field for a line that would exceed MaxLineQuantity or a cart over MaxCartLines; and
// SERVICE_UNAVAILABLE when the store cannot be reached.
type CartStore interface {
	// CreateCart makes an empty cart, owned by userID (zero for a guest), and returns it.
	// A customer has one cart: for a userID that already has one, that cart is returned.
	CreateCart(ctx context.Context, userID int64) (Cart, error)
	// Cart returns the cart with the id.
	Cart(ctx context.Context, id string) (Cart, error)
	// CartOfUser returns the customer's cart; ok is false when they have none.
	CartOfUser(ctx context.Context, userID int64) (c Cart, ok bool, err error)
	// AddLines adds the quantities to the cart, merging lines of the same variant. Either
	// every line is added or, on error, none.
	AddLines(ctx context.Context, id string, lines []CartLineInput) (Cart, error)
	// UpdateLines sets the quantities of existing lines (zero removes the line). A variant
	// not in the cart is a NOT_FOUND error naming it; on error nothing changes.
	UpdateLines(ctx context.Context, id string, updates []CartLineUpdate) (Cart, error)
	// RemoveLines removes the lines of the variants; variants not in the cart are ignored.
	RemoveLines(ctx context.Context, id string, variantIDs []int64) (Cart, error)
	// MergeInto moves the guest cart's lines into the customer's cart (creating it when
	// needed), adding quantities, each line capped by caps[variantID] (the stock; a missing
	// entry means MaxLineQuantity) and by MaxLineQuantity, then deletes the guest cart. A
	// guest cart that does not exist, or belongs to a customer, leaves the customer's cart
	// as it is.
	MergeInto(ctx context.Context, guestID string, userID int64, caps map[int64]int) (Cart, error)
	// SetDiscountCodes replaces the cart's discount codes (normalized; empty removes them
	// all) and returns the cart.
	SetDiscountCodes(ctx context.Context, id string, codes []string) (Cart, error)
	// Clear empties the cart after a checkout; only lines whose quantities still match
	// ordered are removed, so units added during the checkout survive.
	Clear(ctx context.Context, id string, ordered []CartLineInput) error
}
