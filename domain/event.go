package domain

import (
	"context"
	"time"
)

// Event is a fact that happened in the shop, written to the transactional outbox in the
// same transaction as the change it describes, then published to NATS JetStream by the
// relay with ID as the message id (so a retried publish is deduplicated).
type Event struct {
	// ID is a UUID, unique across all events.
	ID string
	// Type names the event, such as "order.paid"; it is also the subject's suffix.
	Type string
	// Key is the id of the entity the event is about (an order or product id), so a
	// consumer can route or order by it.
	Key string
	// At is when the change was committed, as the writer saw it.
	At time.Time
	// Data is the payload, one of the *Event types below, encoded as JSON.
	Data any
}

// The event types shopgraph publishes.
const (
	EventProductCreated    = "product.created"
	EventProductUpdated    = "product.updated"
	EventProductDeleted    = "product.deleted"
	EventProductOutOfStock = "product.out_of_stock"
	EventInventoryAdjusted = "inventory.adjusted"
	EventInventoryReserved = "inventory.reserved"
	EventInventoryReleased = "inventory.released"
	EventUserRegistered    = "user.registered"
	EventOrderCreated      = "order.created"
	EventOrderPaid         = "order.paid"
	EventOrderShipped      = "order.shipped"
	EventOrderDelivered    = "order.delivered"
	EventOrderCancelled    = "order.cancelled"
	EventOrderReturned     = "order.returned"
	// EventOrderAmended is an admin's edit of a paid order's lines (OrderEventData with
	// the new lines and total, LineChanges, and RefundMinor or ChargeMinor).
	EventOrderAmended = "order.amended"
	// EventOrderReturnRequested, EventOrderPartiallyReturned and EventOrderReturnRejected
	// are the order's history entries of a return's steps (OrderEventData); an approved
	// return that takes back the last units is order.returned.
	EventOrderReturnRequested   = "order.return_requested"
	EventOrderPartiallyReturned = "order.partially_returned"
	EventOrderReturnRejected    = "order.return_rejected"
	// The return.* events describe a return itself (ReturnEventData).
	EventReturnRequested    = "return.requested"
	EventReturnApproved     = "return.approved"
	EventReturnRejected     = "return.rejected"
	EventPaymentProcessed   = "payment.processed"
	EventPaymentFailed      = "payment.failed"
	EventAnalyticsTracked   = "analytics.tracked"
	EventShipmentDispatched = "shipment.dispatched"
)

// ProductEventData is the payload of the product.* events.
type ProductEventData struct {
	ProductID int64 `json:"productId"`
	// VariantID names the variant, in product.out_of_stock when one variant ran out
	// (Stock is then the variant's).
	VariantID  int64  `json:"variantId,omitempty"`
	Slug       string `json:"slug"`
	Name       string `json:"name"`
	PriceMinor int64  `json:"priceMinor"`
	Currency   string `json:"currency"`
	CategoryID int64  `json:"categoryId"`
	Stock      int    `json:"stock"`
}

// InventoryEventData is the payload of the inventory.* events.
type InventoryEventData struct {
	ProductID int64  `json:"productId"`
	VariantID int64  `json:"variantId,omitempty"`
	Delta     int    `json:"delta"`
	Stock     int    `json:"stock"`
	Reason    string `json:"reason,omitempty"`
	OrderID   int64  `json:"orderId,omitempty"`
	// WarehouseID is the warehouse whose stock changed by Delta; WarehouseStock is
	// what it holds after the change (Stock stays the variant's or product's total).
	WarehouseID    int64 `json:"warehouseId,omitempty"`
	WarehouseStock int   `json:"warehouseStock"`
}

// UserEventData is the payload of user.registered.
type UserEventData struct {
	UserID int64  `json:"userId"`
	Email  string `json:"email"`
	Role   Role   `json:"role"`
}

// EventStore is what the outbox relay needs from the database.
type EventStore interface {
	// UnpublishedEvents returns up to limit events not yet published, oldest first (in
	// commit order), with their outbox positions.
	UnpublishedEvents(ctx context.Context, limit int) ([]OutboxEntry, error)
	// MarkPublished records that the entries up to and including position were published.
	MarkPublished(ctx context.Context, positions []int64) error
}

// OutboxEntry is an event as stored in the outbox, with its position (commit order) and
// its JSON payload.
type OutboxEntry struct {
	Position int64
	ID       string
	Type     string
	Key      string
	At       time.Time
	Payload  []byte
}
