// Checkout: the shipping address and the payment method, paid through the shop's
// payment provider. Each attempt has its own idempotency key: resending the same attempt
// (after a network error) cannot buy twice, and a declined payment leaves the cart as it
// was for a new attempt.
import { useEffect, useRef, useState } from 'preact/hooks';
import { useQuery } from '@urql/preact';
import { graphql } from './gql';
import type { PaymentMethod } from './gql/graphql';
import { useShop } from './shop';
import { money, randomId } from '../shared/format';
import { navigate } from '../shared/router';
import { Field, FormError, Loading, Select, fieldErrors, formValues, type FieldErrors } from '../shared/ui';

const CheckoutCartDoc = graphql(`
  query CheckoutCart($id: ID!) {
    cart(id: $id) {
      id
      totalQuantity
      subtotal { amount currencyCode }
      lines { id quantity product { id name } variant { id title } total { amount currencyCode } }
    }
    me { id name email }
  }
`);

const CheckoutDoc = graphql(`
  mutation Checkout($input: CheckoutInput!) {
    checkout(input: $input) {
      order { id number status statusHistory { sequence status note } }
      userErrors { field message code }
    }
  }
`);

const methods: { value: PaymentMethod; label: string }[] = [
  { value: 'CARD', label: 'Card' },
  { value: 'UPI', label: 'UPI' },
  { value: 'WALLET', label: 'Wallet' },
  { value: 'COD', label: 'Cash on delivery' },
];

export function CheckoutPage() {
  const shop = useShop();
  useEffect(() => {
    if (!shop.user) navigate(`/signin?next=${encodeURIComponent('/checkout')}`, true);
  }, [shop.user]);
  if (!shop.user) return null;
  if (!shop.cartId) {
    return (
      <>
        <h1>Checkout</h1>
        <p>
          Your cart is empty. <a href="/search">Browse the shop</a>.
        </p>
      </>
    );
  }
  return <CheckoutForm cartId={shop.cartId} />;
}

function CheckoutForm({ cartId }: { cartId: string }) {
  const shop = useShop();
  const [{ data, fetching, error }] = useQuery({ query: CheckoutCartDoc, variables: { id: cartId } });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const attempt = useRef(randomId());
  useEffect(() => shop.track('CHECKOUT_STARTED'), []);
  if (fetching && !data) return <Loading />;
  if (!data) return <FormError error={error} />;
  const cart = data.cart;
  if (!cart || cart.lines.length === 0) return <p>Your cart is empty.</p>;
  return (
    <>
      <h1>Checkout</h1>
      <section aria-label="Order summary">
        <ul>
          {cart.lines.map((l) => (
            <li key={l.id}>
              {l.quantity} × {l.product.name}
              {l.variant.title !== 'Default' && ` (${l.variant.title})`}: {money(l.total)}
            </li>
          ))}
        </ul>
        <p class="price">Total {money(cart.subtotal)}</p>
      </section>
      <form
        class="narrow"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          const v = formValues(e);
          setBusy(true);
          const r = await shop.client
            .mutation(CheckoutDoc, {
              input: {
                cartId,
                paymentMethod: v.paymentMethod as PaymentMethod,
                idempotencyKey: attempt.current,
                sessionId: shop.sessionId,
                shippingAddress: {
                  name: v.name,
                  line1: v.line1,
                  line2: v.line2 || null,
                  city: v.city,
                  region: v.region || null,
                  postalCode: v.postalCode,
                  country: v.country,
                  phone: v.phone || null,
                },
              },
            })
            .toPromise();
          setBusy(false);
          if (!r.data) {
            // The outcome is unknown: keep the key, so that trying again cannot buy twice.
            setErrors({ '': r.error?.message ?? 'The checkout could not be sent. Try again.' });
            return;
          }
          const p = r.data.checkout;
          attempt.current = randomId();
          if (p.order?.status === 'CANCELLED') {
            const why = p.order.statusHistory[p.order.statusHistory.length - 1]?.note;
            setErrors({ '': `The payment was declined${why ? ` (${why})` : ''}. Your cart is unchanged; check the details and try again.` });
            return;
          }
          if (p.order) {
            shop.setCart(null);
            navigate(`/orders/${encodeURIComponent(p.order.id)}`);
            return;
          }
          setErrors(fieldErrors(p.userErrors));
        }}
      >
        <FormError message={errors['']} />
        <fieldset>
          <legend>Shipping address</legend>
          <Field label="Full name" name="name" autoComplete="name" defaultValue={data.me?.name ?? ''} required error={errors.name} />
          <Field label="Address" name="line1" autoComplete="address-line1" required error={errors.line1} />
          <Field label="Address line 2 (optional)" name="line2" autoComplete="address-line2" error={errors.line2} />
          <div class="row">
            <Field label="City" name="city" autoComplete="address-level2" required error={errors.city} />
            <Field label="Region (optional)" name="region" autoComplete="address-level1" error={errors.region} />
          </div>
          <div class="row">
            <Field label="Postal code" name="postalCode" autoComplete="postal-code" required error={errors.postalCode} />
            <Field label="Country (two letters)" name="country" autoComplete="country" maxLength={2} defaultValue="US" required error={errors.country} />
          </div>
          <Field label="Phone (optional)" name="phone" type="tel" autoComplete="tel" error={errors.phone} />
        </fieldset>
        <Select label="Payment method" name="paymentMethod" error={errors.paymentMethod}>
          {methods.map((m) => (
            <option key={m.value} value={m.value}>
              {m.label}
            </option>
          ))}
        </Select>
        <p class="muted">Test payments: a recipient name containing “decline” is declined.</p>
        <button type="submit" disabled={busy}>
          {busy ? 'Paying…' : `Pay ${money(cart.subtotal)}`}
        </button>
      </form>
    </>
  );
}
