// The cart: lines at current prices, quantities to change, lines to remove, the total.
import { useState } from 'preact/hooks';
import { useQuery } from '@urql/preact';
import { graphql } from './gql';
import type { CartFieldsFragment } from './gql/graphql';
import { useShop } from './shop';
import { money } from '../shared/format';
import { FormError, LineItem, Loading } from '../shared/ui';

const CartFieldsDoc = graphql(`
  fragment CartFields on Cart {
    id
    totalQuantity
    subtotal { amount currencyCode }
    lines {
      id
      quantity
      unitPrice { amount currencyCode }
      total { amount currencyCode }
      product { id slug name featuredImage { id url(width: 96) altText } }
      variant { id title availableQuantity inStock image { id url(width: 96) altText } }
    }
  }
`);
void CartFieldsDoc;

const CartPageDoc = graphql(`
  query CartPage($id: ID!) {
    cart(id: $id) { ...CartFields }
  }
`);

const CartUpdateDoc = graphql(`
  mutation CartLinesUpdate($cartId: ID!, $lines: [CartLineUpdateInput!]!) {
    cartLinesUpdate(cartId: $cartId, lines: $lines) {
      cart { ...CartFields }
      userErrors { field message code }
    }
  }
`);

const CartRemoveDoc = graphql(`
  mutation CartLinesRemove($cartId: ID!, $lineIds: [ID!]!) {
    cartLinesRemove(cartId: $cartId, lineIds: $lineIds) {
      cart { ...CartFields }
      userErrors { field message code }
    }
  }
`);

export function CartPage() {
  const shop = useShop();
  if (!shop.cartId) return <EmptyCart />;
  return <CartView cartId={shop.cartId} />;
}

function EmptyCart() {
  return (
    <>
      <h1>Your cart</h1>
      <p>
        Your cart is empty. <a href="/search">Browse the shop</a>.
      </p>
    </>
  );
}

function CartView({ cartId }: { cartId: string }) {
  const shop = useShop();
  const [{ data, fetching, error }, refetch] = useQuery({ query: CartPageDoc, variables: { id: cartId } });
  const [override, setOverride] = useState<CartFieldsFragment | null>(null);
  const [lineError, setLineError] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  if (fetching && !data) return <Loading />;
  if (!data) return <FormError error={error} />;
  const cart = override ?? data.cart;
  if (!cart || cart.lines.length === 0) return <EmptyCart />;

  const apply = async (lineId: string, run: () => Promise<any>) => {
    setBusy(true);
    const r = await run();
    setBusy(false);
    const p = r.data?.cartLinesUpdate ?? r.data?.cartLinesRemove;
    if (p?.cart) {
      setOverride(p.cart);
      setLineError({});
      shop.setCart(p.cart);
    } else {
      setLineError({ [lineId]: p?.userErrors?.[0]?.message ?? r.error?.message ?? 'That did not work.' });
      refetch({ requestPolicy: 'network-only' });
    }
  };

  return (
    <>
      <h1>Your cart</h1>
      <table class="responsive" aria-label="Cart">
        <thead>
          <tr>
            <th>Product</th>
            <th class="num">Price</th>
            <th>Quantity</th>
            <th class="num">Total</th>
            <th>
              <span class="sr-only">Remove</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {cart.lines.map((l) => (
            <tr key={l.id} data-line={l.product.slug} data-variant-title={l.variant.title}>
              <td data-label="Product">
                <LineItem
                  href={`/p/${encodeURIComponent(l.product.slug)}?variant=${encodeURIComponent(l.variant.id)}`}
                  name={l.product.name}
                  variantTitle={l.variant.title}
                  image={l.variant.image ?? l.product.featuredImage}
                />
                {!l.variant.inStock && <span class="stock-out"> (out of stock)</span>}
                {lineError[l.id] && (
                  <p class="field-error" role="alert">
                    {lineError[l.id]}
                  </p>
                )}
              </td>
              <td data-label="Price" class="num">
                {money(l.unitPrice)}
              </td>
              <td data-label="Quantity">
                <label class="sr-only" for={`q-${l.id}`}>
                  Quantity of {l.product.name}
                  {l.variant.title !== 'Default' && `, ${l.variant.title}`}
                </label>
                <input
                  id={`q-${l.id}`}
                  type="number"
                  min={0}
                  max={99}
                  value={l.quantity}
                  disabled={busy}
                  onChange={(e) => {
                    const quantity = Number(e.currentTarget.value);
                    if (!Number.isInteger(quantity) || quantity === l.quantity) return;
                    void apply(l.id, () =>
                      shop.client.mutation(CartUpdateDoc, { cartId: cart.id, lines: [{ id: l.id, quantity }] }).toPromise(),
                    );
                  }}
                />
              </td>
              <td data-label="Total" class="num">
                {money(l.total)}
              </td>
              <td>
                <button
                  type="button"
                  class="secondary"
                  disabled={busy}
                  aria-label={`Remove ${l.product.name}${l.variant.title !== 'Default' ? `, ${l.variant.title}` : ''}`}
                  onClick={() =>
                    apply(l.id, () => shop.client.mutation(CartRemoveDoc, { cartId: cart.id, lineIds: [l.id] }).toPromise())
                  }
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="price" aria-live="polite">
        {cart.totalQuantity} {cart.totalQuantity === 1 ? 'item' : 'items'}, subtotal <span data-subtotal>{money(cart.subtotal)}</span>
      </p>
      <a class="button" href="/checkout">
        Check out
      </a>
    </>
  );
}
