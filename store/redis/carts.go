package redis

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/shopgraph/shopgraph/domain"
)

// cartIDBytes is the entropy of a cart id, which is all that guards a guest cart.
const cartIDBytes = 16

// msgCartsUnavailable is the message of every failure to reach Redis, the same whatever
// the cause, so that a client learns nothing about the infrastructure.
const msgCartsUnavailable = "carts are unavailable right now; try again shortly"

// CartStore keeps carts in Redis, one hash a cart:
//
//	cart:<id>         hash {uid: owner (0 for a guest), upd: updated at (µs),
//	                        q:<variant id>: quantity, a:<variant id>: added at (µs)}
//	usercart:<uid>    string: the id of the customer's cart
//
// Every write is one Lua script, so concurrent edits of a cart are serialised by Redis
// and lose nothing; each one stamps the cart with the server's clock (TIME), made
// strictly increasing per cart so that lines added one after the other never tie, and
// gives the cart and its customer's pointer a full domain.CartTTL. Reads are single
// commands or read-only scripts and do not extend the cart's life.
//
// The scripts touch the cart a customer's pointer names, a key computed from a stored
// value, which a single Redis (or a Sentinel set) allows but Redis Cluster does not.
//
// A CartStore is safe for concurrent use.
type CartStore struct {
	c *Client
}

var _ domain.CartStore = (*CartStore)(nil)

// NewCartStore returns a cart store on c, under keys "cart:<id>" and "usercart:<user
// id>" after the client's prefix.
func NewCartStore(c *Client) *CartStore { return &CartStore{c: c} }

// cartLua holds the functions the write scripts share.
//
// stamp returns the time of a write to the cart at key, in µs: the server's clock, or
// one µs after the cart's last write when the clock has not moved on (or went back).
//
// touch records ts as the cart's update time and gives the cart a full ttl; for a
// customer's cart it does the same for the customer's pointer, restoring it when it is
// missing but leaving alone a pointer that names another cart.
//
// reply returns the script's success: the cart's id and its fields.
const cartLua = `
if redis.replicate_commands then redis.replicate_commands() end
local function stamp(key)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local upd = tonumber(redis.call('HGET', key, 'upd'))
  if upd and now <= upd then now = upd + 1 end
  return now
end
local function touch(key, id, ts, ttl, userPrefix)
  redis.call('HSET', key, 'upd', string.format('%d', ts))
  redis.call('PEXPIRE', key, ttl)
  local uid = redis.call('HGET', key, 'uid')
  if uid and uid ~= '0' then
    local ptr = userPrefix .. uid
    local cur = redis.call('GET', ptr)
    if not cur or cur == id then
      redis.call('SET', ptr, id, 'PX', ttl)
    end
  end
end
local function line_count(key)
  return (redis.call('HLEN', key) - 2 - redis.call('HEXISTS', key, 'dc')) / 2
end
local function reply(id, key)
  return {'ok', id, redis.call('HGETALL', key)}
end
`

// createCartScript makes an empty cart, or for a customer who has one returns theirs.
// KEYS[1] cart:<new id>, KEYS[2] usercart:<uid> (a customer only).
// ARGV: new id, uid (0 for a guest), ttl in ms, cart key prefix, user key prefix.
// It returns {'ok', id, fields}, or {'taken'} when the new id is in use.
var createCartScript = goredis.NewScript(cartLua + `
local id, uid, ttl, cartPrefix, userPrefix = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5]
if uid ~= '0' then
  local cur = redis.call('GET', KEYS[2])
  if cur and redis.call('HGET', cartPrefix .. cur, 'uid') == uid then
    return reply(cur, cartPrefix .. cur)
  end
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {'taken'}
end
redis.call('HSET', KEYS[1], 'uid', uid)
if uid ~= '0' then
  redis.call('SET', KEYS[2], id, 'PX', ttl)
end
touch(KEYS[1], id, stamp(KEYS[1]), ttl, userPrefix)
return reply(id, KEYS[1])
`)

// cartOfUserScript reads a customer's cart. KEYS[1] usercart:<uid>. ARGV: cart key prefix.
// It returns {'ok', id, fields} (fields empty when the cart is gone), or {'none'}.
var cartOfUserScript = goredis.NewScript(`
local id = redis.call('GET', KEYS[1])
if not id then
  return {'none'}
end
return {'ok', id, redis.call('HGETALL', ARGV[1] .. id)}
`)

// addLinesScript adds quantities to a cart, all or nothing. KEYS[1] cart:<id>.
// ARGV: id, ttl in ms, user key prefix, max line quantity, max lines, then pairs of
// variant id and quantity.
// It returns {'ok', id, fields}, {'missing'}, {'linecap', index of the line (0-based)}
// or {'cartcap'}.
var addLinesScript = goredis.NewScript(cartLua + `
local key = KEYS[1]
local id, ttl, userPrefix = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local maxQty, maxLines = tonumber(ARGV[4]), tonumber(ARGV[5])
if redis.call('EXISTS', key) == 0 then
  return {'missing'}
end
local want, fresh = {}, {}
for i = 6, #ARGV, 2 do
  local pid, q = ARGV[i], tonumber(ARGV[i + 1])
  local cur = want[pid]
  if cur == nil then
    cur = tonumber(redis.call('HGET', key, 'q:' .. pid))
    if cur == nil then
      cur = 0
      fresh[#fresh + 1] = pid
    end
  end
  cur = cur + q
  if cur > maxQty then
    return {'linecap', (i - 6) / 2}
  end
  want[pid] = cur
end
if #fresh > 0 and line_count(key) + #fresh > maxLines then
  return {'cartcap'}
end
local ts = stamp(key)
for pid, q in pairs(want) do
  redis.call('HSET', key, 'q:' .. pid, string.format('%d', q))
end
for k, pid in ipairs(fresh) do
  if k > 1 then ts = ts + 1 end
  redis.call('HSET', key, 'a:' .. pid, string.format('%d', ts))
end
touch(key, id, ts, ttl, userPrefix)
return reply(id, key)
`)

// updateLinesScript sets the quantities of existing lines, all or nothing; zero removes
// a line, and of updates of one variant the last wins. KEYS[1] cart:<id>.
// ARGV: id, ttl in ms, user key prefix, then pairs of variant id and quantity.
// It returns {'ok', id, fields}, {'missing'} or {'noline', index of the update (0-based)}.
var updateLinesScript = goredis.NewScript(cartLua + `
local key = KEYS[1]
local id, ttl, userPrefix = ARGV[1], tonumber(ARGV[2]), ARGV[3]
if redis.call('EXISTS', key) == 0 then
  return {'missing'}
end
local want, order = {}, {}
for i = 4, #ARGV, 2 do
  local pid = ARGV[i]
  if redis.call('HEXISTS', key, 'q:' .. pid) == 0 then
    return {'noline', (i - 4) / 2}
  end
  if want[pid] == nil then order[#order + 1] = pid end
  want[pid] = ARGV[i + 1]
end
for _, pid in ipairs(order) do
  if want[pid] == '0' then
    redis.call('HDEL', key, 'q:' .. pid, 'a:' .. pid)
  else
    redis.call('HSET', key, 'q:' .. pid, want[pid])
  end
end
touch(key, id, stamp(key), ttl, userPrefix)
return reply(id, key)
`)

// removeLinesScript removes the lines of variants, ignoring those not in the cart.
// KEYS[1] cart:<id>. ARGV: id, ttl in ms, user key prefix, then variant ids.
// It returns {'ok', id, fields} or {'missing'}.
var removeLinesScript = goredis.NewScript(cartLua + `
local key = KEYS[1]
local id, ttl, userPrefix = ARGV[1], tonumber(ARGV[2]), ARGV[3]
if redis.call('EXISTS', key) == 0 then
  return {'missing'}
end
for i = 4, #ARGV do
  redis.call('HDEL', key, 'q:' .. ARGV[i], 'a:' .. ARGV[i])
end
touch(key, id, stamp(key), ttl, userPrefix)
return reply(id, key)
`)

// discountCodesScript replaces a cart's discount codes (a comma-separated field "dc";
// an empty list removes it). KEYS[1] cart:<id>. ARGV: id, ttl in ms, user key prefix,
// codes.
var discountCodesScript = goredis.NewScript(cartLua + `
local key = KEYS[1]
local id, ttl, userPrefix = ARGV[1], tonumber(ARGV[2]), ARGV[3]
if redis.call('EXISTS', key) == 0 then
  return {'missing'}
end
if ARGV[4] == '' then
  redis.call('HDEL', key, 'dc')
else
  redis.call('HSET', key, 'dc', ARGV[4])
end
touch(key, id, stamp(key), ttl, userPrefix)
return reply(id, key)
`)

// clearScript takes ordered units out of a cart after a checkout: a line loses the
// ordered quantity, and goes when nothing is left. KEYS[1] cart:<id>.
// ARGV: id, ttl in ms, user key prefix, then pairs of variant id and quantity.
// It returns {'ok', id, fields} or {'missing'}.
var clearScript = goredis.NewScript(cartLua + `
local key = KEYS[1]
local id, ttl, userPrefix = ARGV[1], tonumber(ARGV[2]), ARGV[3]
if redis.call('EXISTS', key) == 0 then
  return {'missing'}
end
for i = 4, #ARGV, 2 do
  local pid = ARGV[i]
  local cur = tonumber(redis.call('HGET', key, 'q:' .. pid))
  if cur then
    local left = cur - tonumber(ARGV[i + 1])
    if left > 0 then
      redis.call('HSET', key, 'q:' .. pid, string.format('%d', left))
    else
      redis.call('HDEL', key, 'q:' .. pid, 'a:' .. pid)
    end
  end
end
touch(key, id, stamp(key), ttl, userPrefix)
return reply(id, key)
`)

// mergeScript moves a guest cart's lines into a customer's cart, creating it when
// needed. KEYS[1] cart:<guest id>, KEYS[2] usercart:<uid>, KEYS[3] cart:<new id> (used
// only when the customer has no cart).
// ARGV: uid, new id, ttl in ms, cart key prefix, user key prefix, max line quantity, max
// lines, then pairs of variant id and cap.
// Guest lines go in the order they were added; a line never loses units the customer
// already had, and variants beyond max lines are dropped.
// It returns {'ok', id, fields}, or {'taken'} when the new id is in use.
var mergeScript = goredis.NewScript(cartLua + `
local uid, newID, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])
local cartPrefix, userPrefix = ARGV[4], ARGV[5]
local maxQty, maxLines = tonumber(ARGV[6]), tonumber(ARGV[7])
local caps = {}
for i = 8, #ARGV, 2 do
  caps[ARGV[i]] = tonumber(ARGV[i + 1])
end

local id = redis.call('GET', KEYS[2])
local key
if id and redis.call('HGET', cartPrefix .. id, 'uid') == uid then
  key = cartPrefix .. id
else
  if redis.call('EXISTS', KEYS[3]) == 1 then
    return {'taken'}
  end
  id, key = newID, KEYS[3]
  redis.call('HSET', key, 'uid', uid)
  redis.call('SET', KEYS[2], id, 'PX', ttl)
  touch(key, id, stamp(key), ttl, userPrefix)
end

local guest = KEYS[1]
if redis.call('HGET', guest, 'uid') ~= '0' then
  return reply(id, key)
end
local flat = redis.call('HGETALL', guest)
local lines = {}
for i = 1, #flat, 2 do
  local f = flat[i]
  if string.sub(f, 1, 2) == 'q:' then
    local pid = string.sub(f, 3)
    lines[#lines + 1] = {pid = pid, q = tonumber(flat[i + 1]), at = 0}
  end
end
local g = {}
for i = 1, #flat, 2 do g[flat[i]] = flat[i + 1] end
for _, l in ipairs(lines) do
  l.at = tonumber(g['a:' .. l.pid]) or 0
end
table.sort(lines, function(x, y)
  if x.at ~= y.at then return x.at < y.at end
  return tonumber(x.pid) < tonumber(y.pid)
end)

local ts = stamp(key)
local count = line_count(key)
for _, l in ipairs(lines) do
  local cap = caps[l.pid] or maxQty
  if cap > maxQty then cap = maxQty end
  local cur = tonumber(redis.call('HGET', key, 'q:' .. l.pid))
  if cur then
    local q = math.min(cur + l.q, cap)
    if q > cur then
      redis.call('HSET', key, 'q:' .. l.pid, string.format('%d', q))
    end
  elseif count < maxLines then
    local q = math.min(l.q, cap)
    if q > 0 then
      redis.call('HSET', key, 'q:' .. l.pid, string.format('%d', q), 'a:' .. l.pid, string.format('%d', l.at))
      count = count + 1
      if l.at > ts then ts = l.at end
    end
  end
end
redis.call('DEL', guest)
touch(key, id, ts, ttl, userPrefix)
return reply(id, key)
`)

// CreateCart makes an empty cart owned by userID (zero for a guest) and returns it. Its
// id is 16 random bytes, base64url without padding: knowing it is what lets a guest in.
// For a customer who already has a cart, that cart is returned unchanged; concurrent
// calls for one customer all return the same cart. A negative userID is an internal
// error; Redis out of reach is SERVICE_UNAVAILABLE.
func (s *CartStore) CreateCart(ctx context.Context, userID int64) (domain.Cart, error) {
	if userID < 0 {
		return domain.Cart{}, fmt.Errorf("creating cart: invalid user id %d", userID)
	}
	id, err := newCartID()
	if err != nil {
		return domain.Cart{}, fmt.Errorf("creating cart: %w", err)
	}
	uid := strconv.FormatInt(userID, 10)
	keys := []string{s.c.Key("cart", id)}
	if userID != 0 {
		keys = append(keys, s.c.Key("usercart", uid))
	}
	res, err := s.run(ctx, "creating cart", createCartScript, keys,
		id, uid, domain.CartTTL.Milliseconds(), s.c.Key("cart", ""), s.c.Key("usercart", ""))
	if err != nil {
		return domain.Cart{}, err
	}
	if status(res) == "taken" {
		// 128 random bits do not collide: the cart is this call's own, created by an
		// attempt whose answer was lost. It is returned as made.
		c, err := s.Cart(ctx, id)
		if err != nil || c.UserID != userID {
			return domain.Cart{}, fmt.Errorf("creating cart: the new cart id is already in use")
		}
		return c, nil
	}
	return cartReply("creating cart", res)
}

// Cart returns the cart with the id, whoever owns it: the caller checks
// domain.Cart.VisibleTo. A cart that does not exist or expired, or an id that is not
// one CreateCart makes, is NOT_FOUND; Redis out of reach is SERVICE_UNAVAILABLE. Reading
// a cart does not extend its life.
func (s *CartStore) Cart(ctx context.Context, id string) (domain.Cart, error) {
	if !validCartID(id) {
		return domain.Cart{}, errCartNotFound()
	}
	h, err := s.c.RDB.HGetAll(ctx, s.c.Key("cart", id)).Result()
	if err != nil {
		return domain.Cart{}, s.fail(ctx, "reading cart", err)
	}
	if len(h) == 0 {
		return domain.Cart{}, errCartNotFound()
	}
	c, err := toDomainCart(id, h)
	if err != nil {
		return domain.Cart{}, fmt.Errorf("reading cart: %w", err)
	}
	return c, nil
}

// CartOfUser returns the customer's cart; ok is false when they have none (or it
// expired, or userID is not positive). Redis out of reach is SERVICE_UNAVAILABLE.
func (s *CartStore) CartOfUser(ctx context.Context, userID int64) (domain.Cart, bool, error) {
	if userID <= 0 {
		return domain.Cart{}, false, nil
	}
	res, err := s.run(ctx, "reading cart of user", cartOfUserScript,
		[]string{s.c.Key("usercart", strconv.FormatInt(userID, 10))}, s.c.Key("cart", ""))
	if err != nil {
		return domain.Cart{}, false, err
	}
	if status(res) != "ok" {
		return domain.Cart{}, false, nil
	}
	c, err := cartReply("reading cart of user", res)
	if err != nil {
		if domain.IsNotFound(err) {
			return domain.Cart{}, false, nil
		}
		return domain.Cart{}, false, err
	}
	if c.UserID != userID {
		// A pointer left behind by a cart that is gone, its id reused: not theirs.
		return domain.Cart{}, false, nil
	}
	return c, true, nil
}

// AddLines adds the quantities to the cart, merging lines of one variant (in the cart
// or in lines) into one, and returns the cart. New lines come after the existing ones,
// in the order of lines. Either every line is added or, on error, none:
//   - a quantity outside 1..MaxLineQuantity, or a variant id that is not positive, is
//     BAD_USER_INPUT with the field ["lines", i, "quantity"] or ["lines", i, "variantId"];
//   - a line that would take its variant over MaxLineQuantity is BAD_USER_INPUT with the
//     field ["lines", i, "quantity"], i being the first line at which it happens;
//   - more than MaxCartLines variants is BAD_USER_INPUT with the field ["lines"];
//   - an unknown or expired cart is NOT_FOUND; Redis out of reach, SERVICE_UNAVAILABLE.
//
// With no lines, AddLines is Cart.
func (s *CartStore) AddLines(ctx context.Context, id string, lines []domain.CartLineInput) (domain.Cart, error) {
	for i, l := range lines {
		if err := validLine(i, l.VariantID, l.Quantity, false); err != nil {
			return domain.Cart{}, err
		}
	}
	if len(lines) == 0 {
		return s.Cart(ctx, id)
	}
	if !validCartID(id) {
		return domain.Cart{}, errCartNotFound()
	}
	args := s.writeArgs(id, 2*len(lines)+2)
	args = append(args, domain.MaxLineQuantity, domain.MaxCartLines)
	for _, l := range lines {
		args = append(args, l.VariantID, l.Quantity)
	}
	res, err := s.run(ctx, "adding cart lines", addLinesScript, []string{s.c.Key("cart", id)}, args...)
	if err != nil {
		return domain.Cart{}, err
	}
	switch status(res) {
	case "linecap":
		i, ok := index(res)
		if !ok || i < 0 || i >= len(lines) {
			return domain.Cart{}, fmt.Errorf("adding cart lines: unexpected script result %v", res)
		}
		return domain.Cart{}, domain.FieldError(lineField(i, "quantity"),
			"a cart holds at most %d units of a variant", domain.MaxLineQuantity)
	case "cartcap":
		return domain.Cart{}, domain.FieldError([]string{"lines"},
			"a cart holds at most %d different variants", domain.MaxCartLines)
	}
	return cartReply("adding cart lines", res)
}

// UpdateLines sets the quantities of lines already in the cart (zero removes the line;
// of several updates of one variant the last wins) and returns the cart. A line keeps
// its place. On error nothing changes:
//   - a quantity outside 0..MaxLineQuantity is BAD_USER_INPUT with the field
//     ["lines", i, "quantity"];
//   - a variant not in the cart is NOT_FOUND naming it, with the field
//     ["lines", i, "variantId"];
//   - an unknown or expired cart is NOT_FOUND; Redis out of reach, SERVICE_UNAVAILABLE.
//
// With no updates, UpdateLines is Cart.
func (s *CartStore) UpdateLines(ctx context.Context, id string, updates []domain.CartLineUpdate) (domain.Cart, error) {
	for i, u := range updates {
		if err := validLine(i, u.VariantID, u.Quantity, true); err != nil {
			return domain.Cart{}, err
		}
	}
	if len(updates) == 0 {
		return s.Cart(ctx, id)
	}
	if !validCartID(id) {
		return domain.Cart{}, errCartNotFound()
	}
	args := s.writeArgs(id, 2*len(updates))
	for _, u := range updates {
		args = append(args, u.VariantID, u.Quantity)
	}
	res, err := s.run(ctx, "updating cart lines", updateLinesScript, []string{s.c.Key("cart", id)}, args...)
	if err != nil {
		return domain.Cart{}, err
	}
	if status(res) == "noline" {
		i, ok := index(res)
		if !ok || i < 0 || i >= len(updates) {
			return domain.Cart{}, fmt.Errorf("updating cart lines: unexpected script result %v", res)
		}
		return domain.Cart{}, &domain.Error{
			Code:    domain.CodeNotFound,
			Message: fmt.Sprintf("variant %d is not in the cart", updates[i].VariantID),
			Field:   lineField(i, "variantId"),
		}
	}
	return cartReply("updating cart lines", res)
}

// RemoveLines removes the lines of the variants and returns the cart; variants not in
// the cart are ignored. An unknown or expired cart is NOT_FOUND; Redis out of reach is
// SERVICE_UNAVAILABLE. With no variants, RemoveLines is Cart.
func (s *CartStore) RemoveLines(ctx context.Context, id string, variantIDs []int64) (domain.Cart, error) {
	if len(variantIDs) == 0 {
		return s.Cart(ctx, id)
	}
	if !validCartID(id) {
		return domain.Cart{}, errCartNotFound()
	}
	args := s.writeArgs(id, len(variantIDs))
	for _, p := range variantIDs {
		args = append(args, p)
	}
	res, err := s.run(ctx, "removing cart lines", removeLinesScript, []string{s.c.Key("cart", id)}, args...)
	if err != nil {
		return domain.Cart{}, err
	}
	return cartReply("removing cart lines", res)
}

// MergeInto moves the guest cart's lines into the customer's cart, in the order they
// were added to the guest cart, and returns the customer's cart; the guest cart is
// deleted. A variant in both gets the sum of the quantities, capped by caps[variantID]
// (the stock; a missing entry means MaxLineQuantity) and by MaxLineQuantity, but never
// below what the customer's cart already held: the merge only adds. A new variant whose
// capped quantity is zero, or that would take the cart over MaxCartLines, is left out.
// It all happens in one atomic step.
//
// The customer's cart is created when they have none, even when there is nothing to
// merge: a guest cart that does not exist (or an id CreateCart could not have made), or
// one that belongs to a customer, leaves every cart as it is and returns the customer's
// cart. A userID that is not positive is an internal error; Redis out of reach is
// SERVICE_UNAVAILABLE.
func (s *CartStore) MergeInto(ctx context.Context, guestID string, userID int64, caps map[int64]int) (domain.Cart, error) {
	if userID <= 0 {
		return domain.Cart{}, fmt.Errorf("merging carts: invalid user id %d", userID)
	}
	if !validCartID(guestID) {
		return s.CreateCart(ctx, userID)
	}
	newID, err := newCartID()
	if err != nil {
		return domain.Cart{}, fmt.Errorf("merging carts: %w", err)
	}
	uid := strconv.FormatInt(userID, 10)
	keys := []string{s.c.Key("cart", guestID), s.c.Key("usercart", uid), s.c.Key("cart", newID)}
	args := make([]any, 0, 7+2*len(caps))
	args = append(args, uid, newID, domain.CartTTL.Milliseconds(), s.c.Key("cart", ""), s.c.Key("usercart", ""),
		domain.MaxLineQuantity, domain.MaxCartLines)
	for p, n := range caps {
		args = append(args, p, min(max(n, 0), domain.MaxLineQuantity))
	}
	res, err := s.run(ctx, "merging carts", mergeScript, keys, args...)
	if err != nil {
		return domain.Cart{}, err
	}
	if status(res) == "taken" {
		return domain.Cart{}, fmt.Errorf("merging carts: the new cart id is already in use")
	}
	return cartReply("merging carts", res)
}

// Clear takes the ordered units out of the cart after a checkout: a line whose quantity
// still equals the ordered quantity goes, a line that has grown since (the shopper added
// units during the checkout) keeps the difference, and a line that has shrunk below it
// goes too. Variants not in the cart are ignored; quantities of one variant add up. An
// unknown or expired cart is NOT_FOUND; a line that is not a positive quantity of a
// positive variant id is an internal error; Redis out of reach is SERVICE_UNAVAILABLE.
func (s *CartStore) Clear(ctx context.Context, id string, ordered []domain.CartLineInput) error {
	for i, l := range ordered {
		if l.VariantID <= 0 || l.Quantity <= 0 {
			return fmt.Errorf("clearing cart: invalid ordered line %d: %+v", i, l)
		}
	}
	if len(ordered) == 0 {
		_, err := s.Cart(ctx, id)
		return err
	}
	if !validCartID(id) {
		return errCartNotFound()
	}
	args := s.writeArgs(id, 2*len(ordered))
	for _, l := range ordered {
		args = append(args, l.VariantID, l.Quantity)
	}
	res, err := s.run(ctx, "clearing cart", clearScript, []string{s.c.Key("cart", id)}, args...)
	if err != nil {
		return err
	}
	_, err = cartReply("clearing cart", res)
	return err
}

// SetDiscountCodes replaces the cart's discount codes, which the caller has normalized
// (NormalizeDiscountCodes), and returns the cart. Codes are kept, not checked: whether
// one applies is the cost calculation's business. An unknown or expired cart is
// NOT_FOUND; Redis out of reach, SERVICE_UNAVAILABLE.
func (s *CartStore) SetDiscountCodes(ctx context.Context, id string, codes []string) (domain.Cart, error) {
	for _, c := range codes {
		if c == "" || strings.ContainsRune(c, ',') {
			return domain.Cart{}, fmt.Errorf("setting discount codes: invalid code %q", c)
		}
	}
	if !validCartID(id) {
		return domain.Cart{}, errCartNotFound()
	}
	args := append(s.writeArgs(id, 1), strings.Join(codes, ","))
	res, err := s.run(ctx, "setting discount codes", discountCodesScript, []string{s.c.Key("cart", id)}, args...)
	if err != nil {
		return domain.Cart{}, err
	}
	return cartReply("setting discount codes", res)
}

// writeArgs returns the leading arguments of a script that writes to the cart id, with
// room for extra arguments after them.
func (s *CartStore) writeArgs(id string, extra int) []any {
	args := make([]any, 0, 3+extra)
	return append(args, id, domain.CartTTL.Milliseconds(), s.c.Key("usercart", ""))
}

// run runs a script and returns its reply, or the failure translated by fail.
func (s *CartStore) run(ctx context.Context, op string, script *goredis.Script, keys []string, args ...any) ([]any, error) {
	res, err := script.Run(ctx, s.c.RDB, keys, args...).Slice()
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	if len(res) == 0 {
		return nil, fmt.Errorf("%s: empty script result", op)
	}
	return res, nil
}

// fail translates a Redis failure. The caller giving up (its context done) is returned
// as it is, context error in the chain, because it is no fault of Redis. Redis out of
// reach or refusing service (connection refused, timeouts, a full pool, a server that is
// loading, read-only, out of memory or busy) is a SERVICE_UNAVAILABLE *domain.Error whose
// chain also holds the cause, for the logs: errors.As finds the domain error and its
// safe message, errors.Is and errors.As the cause. Any other reply of the server
// (a script error, a wrong password) is a fault of ours and stays internal.
func (s *CartStore) fail(ctx context.Context, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		if errors.Is(err, cerr) {
			return fmt.Errorf("%s: %w", op, err)
		}
		return fmt.Errorf("%s: %w: %w", op, cerr, err)
	}
	var reply goredis.Error
	if errors.As(err, &reply) && !refusesService(err) {
		return fmt.Errorf("%s: %w", op, err)
	}
	return fmt.Errorf("%w: %s: %w", domain.Errorf(domain.CodeServiceUnavailable, msgCartsUnavailable), op, err)
}

// refusesService reports whether a reply of the server says it cannot serve now, as
// opposed to refusing the command itself.
func refusesService(err error) bool {
	return goredis.IsLoadingError(err) || goredis.IsReadOnlyError(err) || goredis.IsMasterDownError(err) ||
		goredis.IsClusterDownError(err) || goredis.IsTryAgainError(err) || goredis.IsOOMError(err) ||
		goredis.IsMaxClientsError(err) || goredis.IsNoReplicasError(err) || goredis.HasErrorPrefix(err, "BUSY")
}

// status returns the first element of a script reply, its status.
func status(res []any) string {
	s, _ := res[0].(string)
	return s
}

// index returns the second element of a script reply, an index.
func index(res []any) (int, bool) {
	if len(res) < 2 {
		return 0, false
	}
	i, ok := res[1].(int64)
	return int(i), ok
}

// cartReply decodes a script's {'ok', id, fields} reply; {'missing'}, and an 'ok' with
// no fields (a cart that is gone), are NOT_FOUND.
func cartReply(op string, res []any) (domain.Cart, error) {
	switch status(res) {
	case "missing":
		return domain.Cart{}, errCartNotFound()
	case "ok":
	default:
		return domain.Cart{}, fmt.Errorf("%s: unexpected script result %v", op, res)
	}
	if len(res) != 3 {
		return domain.Cart{}, fmt.Errorf("%s: unexpected script result %v", op, res)
	}
	id, _ := res[1].(string)
	flat, ok := res[2].([]any)
	if !ok || len(flat)%2 != 0 {
		return domain.Cart{}, fmt.Errorf("%s: unexpected script result %v", op, res)
	}
	if len(flat) == 0 {
		return domain.Cart{}, errCartNotFound()
	}
	h := make(map[string]string, len(flat)/2)
	for i := 0; i < len(flat); i += 2 {
		k, _ := flat[i].(string)
		v, _ := flat[i+1].(string)
		h[k] = v
	}
	c, err := toDomainCart(id, h)
	if err != nil {
		return domain.Cart{}, fmt.Errorf("%s: %w", op, err)
	}
	return c, nil
}

// toDomainCart converts the fields of a cart's hash. Lines come in the order they were
// added, ties (from merged carts) by variant id.
func toDomainCart(id string, h map[string]string) (domain.Cart, error) {
	c := domain.Cart{ID: id, Lines: []domain.CartLine{}}
	uid, err := strconv.ParseInt(h["uid"], 10, 64)
	if err != nil {
		return domain.Cart{}, fmt.Errorf("cart %s: owner %q: %w", id, h["uid"], err)
	}
	c.UserID = uid
	upd, err := strconv.ParseInt(h["upd"], 10, 64)
	if err != nil {
		return domain.Cart{}, fmt.Errorf("cart %s: updated at %q: %w", id, h["upd"], err)
	}
	c.UpdatedAt = time.UnixMicro(upd).UTC()
	if dc := h["dc"]; dc != "" {
		c.DiscountCodes = strings.Split(dc, ",")
	}
	for f, v := range h {
		p, ok := strings.CutPrefix(f, "q:")
		if !ok {
			continue
		}
		pid, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return domain.Cart{}, fmt.Errorf("cart %s: variant id %q: %w", id, p, err)
		}
		q, err := strconv.Atoi(v)
		if err != nil {
			return domain.Cart{}, fmt.Errorf("cart %s: quantity %q: %w", id, v, err)
		}
		at, err := strconv.ParseInt(h["a:"+p], 10, 64)
		if err != nil {
			return domain.Cart{}, fmt.Errorf("cart %s: added at %q: %w", id, h["a:"+p], err)
		}
		c.Lines = append(c.Lines, domain.CartLine{VariantID: pid, Quantity: q, AddedAt: time.UnixMicro(at).UTC()})
	}
	slices.SortFunc(c.Lines, func(a, b domain.CartLine) int {
		return cmp.Or(a.AddedAt.Compare(b.AddedAt), cmp.Compare(a.VariantID, b.VariantID))
	})
	return c, nil
}

// validLine returns the BAD_USER_INPUT error of line i when its variant id is not
// positive or its quantity is out of range.
func validLine(i int, variantID int64, quantity int, zeroAllowed bool) error {
	if variantID <= 0 {
		return domain.FieldError(lineField(i, "variantId"), "variant id must be positive")
	}
	if err := domain.ValidateQuantity(lineField(i, "quantity"), quantity, zeroAllowed); err != nil {
		return err
	}
	return nil
}

// lineField returns the path of a field of the line at index i.
func lineField(i int, field string) []string {
	return []string{"lines", strconv.Itoa(i), field}
}

// errCartNotFound returns the NOT_FOUND error of a cart. It does not repeat the id,
// which is a guest cart's only secret.
func errCartNotFound() *domain.Error {
	return domain.Errorf(domain.CodeNotFound, "cart not found")
}

// newCartID returns a fresh cart id.
func newCartID() (string, error) {
	b := make([]byte, cartIDBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("reading random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// validCartID reports whether id is one newCartID could have made; any other is
// NOT_FOUND without asking Redis.
func validCartID(id string) bool {
	if len(id) != base64.RawURLEncoding.EncodedLen(cartIDBytes) {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(id)
	return err == nil && len(b) == cartIDBytes
}
