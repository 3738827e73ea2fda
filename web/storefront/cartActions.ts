// Putting products in the cart: the first add creates the cart, later ones add to it.
import { graphql } from './gql';
import type { Shop } from './shop';

const CartCreateDoc = graphql(`
  mutation CartCreate($lines: [CartLineInput!]) {
    cartCreate(lines: $lines) {
      cart { id totalQuantity }
      userErrors { field message code }
    }
  }
`);

const CartAddDoc = graphql(`
  mutation CartLinesAdd($cartId: ID!, $lines: [CartLineInput!]!) {
    cartLinesAdd(cartId: $cartId, lines: $lines) {
      cart { id totalQuantity }
      userErrors { field message code }
    }
  }
`);

/** addToCart adds units of a product's variant and returns an error message to show, or null. */
export async function addToCart(shop: Shop, productId: string, quantity: number, variantId?: string): Promise<string | null> {
  const lines = [{ productId, variantId, quantity }];
  if (shop.cartId) {
    const r = await shop.client.mutation(CartAddDoc, { cartId: shop.cartId, lines }).toPromise();
    const p = r.data?.cartLinesAdd;
    if (p?.cart) {
      shop.setCart(p.cart);
      shop.track('ADDED_TO_CART', { productId });
      return null;
    }
    if (!p || !p.userErrors.some((e) => e.code === 'NOT_FOUND')) {
      return p?.userErrors[0]?.message ?? r.error?.message ?? 'Could not add to the cart.';
    }
    // The cart expired or belongs to another account: start a new one.
  }
  const r = await shop.client.mutation(CartCreateDoc, { lines }).toPromise();
  const p = r.data?.cartCreate;
  if (!p?.cart) return p?.userErrors[0]?.message ?? r.error?.message ?? 'Could not add to the cart.';
  shop.setCart(p.cart);
  shop.track('ADDED_TO_CART', { productId });
  return null;
}

/** adoptAccountCart switches to the signed-in customer's one cart (the guest cart merged into it). */
export async function adoptAccountCart(shop: Shop): Promise<void> {
  const r = await shop.client.mutation(CartCreateDoc, { lines: null }).toPromise();
  const cart = r.data?.cartCreate.cart;
  if (cart) shop.setCart(cart);
}
