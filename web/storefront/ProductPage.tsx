// The product page: one request for everything on it. Each section declares what it
// reads as a fragment that the page's query spreads, so a section added later (images,
// variants, brand, reviews) brings its fragment and the page still asks once.
import { useEffect, useState } from 'preact/hooks';
import { useQuery } from '@urql/preact';
import { graphql } from './gql';
import type { ProductBuyBoxFragment, ProductDetailsFragment } from './gql/graphql';
import { useShop } from './shop';
import { addToCart } from './cartActions';
import { date, money } from '../shared/format';
import { FormError, Loading } from '../shared/ui';

const ProductPageDoc = graphql(`
  query ProductPage($slug: String!) {
    product(slug: $slug) {
      id
      name
      category { id slug name parent { id slug name } }
      ...ProductBuyBox
      ...ProductDetails
    }
  }
`);

const BuyBoxFields = graphql(`
  fragment ProductBuyBox on Product {
    id
    name
    price { amount currencyCode }
    inStock
    availableQuantity
  }
`);
void BuyBoxFields;

const DetailsFields = graphql(`
  fragment ProductDetails on Product {
    description
    createdAt
  }
`);
void DetailsFields;

export function ProductPage({ slug }: { slug: string }) {
  const [{ data, fetching, error }] = useQuery({ query: ProductPageDoc, variables: { slug } });
  const { track } = useShop();
  const id = data?.product?.id;
  useEffect(() => {
    if (id) track('PRODUCT_VIEWED', { productId: id });
  }, [id]);
  if (fetching && !data) return <Loading />;
  if (!data) return <FormError error={error} />;
  const p = data.product;
  if (!p) return <h1>No such product</h1>;
  return (
    <article class="product">
      <p class="breadcrumbs">
        <a href="/">Home</a>
        {p.category.parent && (
          <>
            {' / '}
            <a href={`/c/${encodeURIComponent(p.category.parent.slug)}`}>{p.category.parent.name}</a>
          </>
        )}
        {' / '}
        <a href={`/c/${encodeURIComponent(p.category.slug)}`}>{p.category.name}</a>
      </p>
      <h1>{p.name}</h1>
      <BuyBox product={p} />
      <Details product={p} />
    </article>
  );
}

function BuyBox({ product }: { product: ProductBuyBoxFragment }) {
  const shop = useShop();
  const [qty, setQty] = useState(1);
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const max = Math.min(99, product.availableQuantity);
  return (
    <section class="buybox" aria-label="Buy">
      <p class="price" data-price={product.price.amount}>
        {money(product.price)}
      </p>
      <p class={product.inStock ? 'stock-in' : 'stock-out'}>
        {product.inStock ? `In stock (${product.availableQuantity} available)` : 'Out of stock'}
      </p>
      {product.inStock && (
        <form
          class="row"
          onSubmit={async (e) => {
            e.preventDefault();
            setBusy(true);
            const err = await addToCart(shop, product.id, qty);
            setBusy(false);
            setMsg(err ? { ok: false, text: err } : { ok: true, text: `Added ${qty} to your cart.` });
          }}
        >
          <div class="field">
            <label for="f-qty">Quantity</label>
            <input id="f-qty" type="number" min={1} max={max} value={qty} onInput={(e) => setQty(Number(e.currentTarget.value) || 1)} />
          </div>
          <div class="field">
            <button type="submit" disabled={busy}>
              Add to cart
            </button>
          </div>
        </form>
      )}
      {msg && (
        <p class={msg.ok ? 'notice' : 'form-error'} role="status">
          {msg.text} {msg.ok && <a href="/cart">View cart</a>}
        </p>
      )}
    </section>
  );
}

function Details({ product }: { product: ProductDetailsFragment }) {
  return (
    <section aria-label="Details">
      <h2>About this product</h2>
      <p>{product.description}</p>
      <p class="muted">In the catalog since {date(product.createdAt)}</p>
    </section>
  );
}
