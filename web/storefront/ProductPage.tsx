// The product page: one request for everything on it. Each section declares what it
// reads as a fragment that the page's query spreads (gallery, buy box with its variants,
// specifications, the first page of reviews), so the page asks once, with no waterfall.
// Later pages of reviews and the review form are the shopper's own actions.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { useQuery } from '@urql/preact';
import { graphql } from './gql';
import type {
  ProductBuyBoxFragment,
  ProductDetailsFragment,
  ProductGalleryFragment,
  ProductReviewFragment,
  ProductReviewsFragment,
} from './gql/graphql';
import { useShop } from './shop';
import { addToCart } from './cartActions';
import { date, money } from '../shared/format';
import { FormError, Loading, Stars, fieldErrors, type FieldErrors } from '../shared/ui';

const REVIEWS_PAGE = 5;

const ProductPageDoc = graphql(`
  query ProductPage($slug: String!, $reviews: Int!) {
    product(slug: $slug) {
      id
      name
      category { id slug name parent { id slug name } }
      ...ProductGallery
      ...ProductBuyBox
      ...ProductDetails
      ...ProductReviews
    }
  }
`);

const GalleryFields = graphql(`
  fragment ProductGallery on Product {
    images { id url(width: 720) thumb: url(width: 128) altText width height }
  }
`);
void GalleryFields;

const BuyBoxFields = graphql(`
  fragment ProductBuyBox on Product {
    id
    name
    brand { id slug name }
    rating { average count }
    options { name values }
    variants {
      id
      title
      sku
      selectedOptions { name value }
      price { amount currencyCode }
      compareAtPrice { amount currencyCode }
      availableQuantity
      inStock
      image { id }
    }
  }
`);
void BuyBoxFields;

const DetailsFields = graphql(`
  fragment ProductDetails on Product {
    description
    createdAt
    attributes { name type value }
  }
`);
void DetailsFields;

const ReviewFields = graphql(`
  fragment ProductReview on Review {
    id
    authorName
    rating
    title
    body
    createdAt
    viewerIsAuthor
  }
`);
void ReviewFields;

const ReviewsFields = graphql(`
  fragment ProductReviews on Product {
    id
    reviews(first: $reviews) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { ...ProductReview }
    }
  }
`);
void ReviewsFields;

const MoreReviewsDoc = graphql(`
  query ProductMoreReviews($id: ID!, $first: Int!, $after: String!) {
    product(id: $id) {
      id
      reviews(first: $first, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes { ...ProductReview }
      }
    }
  }
`);

const ReviewCreateDoc = graphql(`
  mutation ReviewCreate($input: ReviewCreateInput!) {
    reviewCreate(input: $input) {
      review { ...ProductReview }
      userErrors { field message code }
    }
  }
`);

export function ProductPage({ slug }: { slug: string }) {
  const [{ data, fetching, error }] = useQuery({ query: ProductPageDoc, variables: { slug, reviews: REVIEWS_PAGE } });
  const { track } = useShop();
  const id = data?.product?.id;
  useEffect(() => {
    if (id) track('PRODUCT_VIEWED', { productId: id });
  }, [id]);
  const [variantId, setVariantId] = useState<string | null>(() => new URLSearchParams(location.search).get('variant'));
  if (fetching && !data) return <Loading />;
  if (!data) return <FormError error={error} />;
  const p = data.product;
  if (!p) return <h1>No such product</h1>;
  const variant =
    p.variants.find((v) => v.id === variantId) ?? p.variants.find((v) => v.inStock) ?? p.variants[0];
  const choose = (id: string) => {
    setVariantId(id);
    const q = new URLSearchParams(location.search);
    q.set('variant', id);
    history.replaceState(null, '', `${location.pathname}?${q}`);
  };
  return (
    <article class="product" key={p.id}>
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
      <div class="product-top">
        <Gallery product={p} imageId={variant?.image?.id ?? null} />
        <div>
          <h1>{p.name}</h1>
          <BuyBox product={p} variant={variant} onChoose={choose} />
        </div>
      </div>
      <Details product={p} />
      <Reviews product={p} />
    </article>
  );
}

function Gallery({ product, imageId }: { product: ProductGalleryFragment; imageId: string | null }) {
  const [shown, setShown] = useState<string | null>(null);
  // A newly chosen variant shows its own picture.
  useEffect(() => setShown(null), [imageId]);
  const images = product.images;
  if (!images.length) return <div />;
  const cur = images.find((i) => i.id === (shown ?? imageId)) ?? images[0];
  return (
    <section class="gallery" aria-label="Images">
      <img
        class="main"
        src={cur.url}
        alt={cur.altText ?? ''}
        width={720}
        height={Math.round((720 * cur.height) / cur.width)}
        data-image={cur.id}
      />
      {images.length > 1 && (
        <ul class="thumbs">
          {images.map((img, i) => (
            <li key={img.id}>
              <button
                type="button"
                aria-pressed={img.id === cur.id}
                aria-label={`Show image ${i + 1} of ${images.length}${img.altText ? `: ${img.altText}` : ''}`}
                onClick={() => setShown(img.id)}
              >
                <img src={img.thumb} alt="" width={64} height={Math.round((64 * img.height) / img.width)} loading="lazy" />
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

type Variant = ProductBuyBoxFragment['variants'][number];

/** pick finds the variant with option name set to value, keeping the other choices when it can. */
function pick(variants: readonly Variant[], current: Variant, name: string, value: string): Variant | undefined {
  const want = current.selectedOptions.map((o) => (o.name === name ? { name, value } : o));
  const same = (v: Variant) => want.every((w) => v.selectedOptions.some((o) => o.name === w.name && o.value === w.value));
  return (
    variants.find(same) ??
    variants.find((v) => v.inStock && v.selectedOptions.some((o) => o.name === name && o.value === value)) ??
    variants.find((v) => v.selectedOptions.some((o) => o.name === name && o.value === value))
  );
}

function BuyBox({ product, variant, onChoose }: { product: ProductBuyBoxFragment; variant: Variant; onChoose: (id: string) => void }) {
  const shop = useShop();
  const [qty, setQty] = useState(1);
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const max = Math.min(99, variant.availableQuantity);
  const multi = product.variants.length > 1;
  return (
    <section class="buybox" aria-label="Buy" data-variant={variant.id} data-variant-title={variant.title}>
      {product.brand && <p class="muted">by {product.brand.name}</p>}
      {product.rating.count > 0 && (
        <p>
          <a href="#reviews">
            <Stars average={product.rating.average} count={product.rating.count} />
          </a>
        </p>
      )}
      <p class="price" data-price={variant.price.amount}>
        {money(variant.price)}
        {variant.compareAtPrice && (
          <s class="compare" data-compare-at={variant.compareAtPrice.amount}>
            <span class="sr-only">was </span>
            {money(variant.compareAtPrice)}
          </s>
        )}
      </p>
      {product.options.map((o) => (
        <fieldset class="options" key={o.name} data-option={o.name}>
          <legend>
            {o.name}: <span class="muted">{variant.selectedOptions.find((s) => s.name === o.name)?.value}</span>
          </legend>
          <div class="choices">
            {o.values.map((value) => {
              const checked = variant.selectedOptions.some((s) => s.name === o.name && s.value === value);
              const target = pick(product.variants, variant, o.name, value);
              const unavailable = !target || !target.inStock;
              return (
                <label key={value} class={unavailable ? 'unavailable' : undefined}>
                  <input
                    type="radio"
                    name={`opt-${o.name}`}
                    value={value}
                    checked={checked}
                    data-option-value={value}
                    onChange={() => {
                      if (target) onChoose(target.id);
                      setMsg(null);
                    }}
                  />
                  <span>
                    {value}
                    {unavailable && <span class="sr-only"> (sold out)</span>}
                  </span>
                </label>
              );
            })}
          </div>
        </fieldset>
      ))}
      <p class={variant.inStock ? 'stock-in' : 'stock-out'} aria-live="polite">
        {variant.inStock ? `In stock (${variant.availableQuantity} available)` : multi ? `${variant.title} is sold out` : 'Out of stock'}
      </p>
      {variant.inStock && (
        <form
          class="row"
          onSubmit={async (e) => {
            e.preventDefault();
            setBusy(true);
            const err = await addToCart(shop, product.id, qty, variant.id);
            setBusy(false);
            const what = multi ? ` (${variant.title})` : '';
            setMsg(err ? { ok: false, text: err } : { ok: true, text: `Added ${qty}${what} to your cart.` });
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
      <p class="muted">SKU {variant.sku}</p>
    </section>
  );
}

function Details({ product }: { product: ProductDetailsFragment }) {
  return (
    <section aria-label="Details">
      <h2>About this product</h2>
      <p>{product.description}</p>
      {product.attributes.length > 0 && (
        <dl class="specs" aria-label="Specifications">
          {product.attributes.map((a) => (
            <>
              <dt key={`${a.name}-n`}>{a.name}</dt>
              <dd key={`${a.name}-v`}>{a.type === 'BOOLEAN' ? (a.value === 'true' ? 'Yes' : 'No') : a.value}</dd>
            </>
          ))}
        </dl>
      )}
      <p class="muted">In the catalog since {date(product.createdAt)}</p>
    </section>
  );
}

function Reviews({ product }: { product: ProductReviewsFragment }) {
  const shop = useShop();
  const first = product.reviews;
  const [more, setMore] = useState<ProductReviewFragment[]>([]);
  const [mine, setMine] = useState<ProductReviewFragment | null>(null);
  const [page, setPage] = useState(first.pageInfo);
  const [loading, setLoading] = useState(false);
  const [err, setErr] = useState('');
  const list = useMemo(() => {
    const seen = new Set<string>();
    return [...(mine ? [mine] : []), ...first.nodes, ...more].filter((r) => !seen.has(r.id) && !!seen.add(r.id));
  }, [first, more, mine]);
  const wroteOne = list.some((r) => r.viewerIsAuthor);
  return (
    <section aria-label="Reviews" id="reviews">
      <h2>Reviews ({first.totalCount + (mine ? 1 : 0)})</h2>
      {list.length === 0 && <p>No reviews yet.</p>}
      <ul class="reviews">
        {list.map((r) => (
          <li key={r.id} data-review={r.id}>
            <Stars average={r.rating} /> {r.title && <strong>{r.title}</strong>}
            {r.body && <p>{r.body}</p>}
            <p class="muted">
              {r.authorName}, {date(r.createdAt)}
              {r.viewerIsAuthor && ' (your review)'}
            </p>
          </li>
        ))}
      </ul>
      {page.hasNextPage && page.endCursor && (
        <button
          type="button"
          class="secondary"
          disabled={loading}
          onClick={async () => {
            setLoading(true);
            const r = await shop.client
              .query(MoreReviewsDoc, { id: product.id, first: REVIEWS_PAGE * 2, after: page.endCursor! })
              .toPromise();
            setLoading(false);
            const got = r.data?.product?.reviews;
            if (!got) {
              setErr(r.error?.message ?? 'Could not load more reviews.');
              return;
            }
            setErr('');
            setMore((m) => [...m, ...got.nodes]);
            setPage(got.pageInfo);
          }}
        >
          More reviews
        </button>
      )}
      <FormError message={err} />
      {shop.user && !wroteOne && <ReviewForm productId={product.id} onCreated={setMine} />}
      {!shop.user && (
        <p>
          <a href={`/signin?next=${encodeURIComponent(location.pathname)}`}>Sign in</a> to review a product you bought.
        </p>
      )}
    </section>
  );
}

function ReviewForm({ productId, onCreated }: { productId: string; onCreated: (r: ProductReviewFragment) => void }) {
  const shop = useShop();
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const [rating, setRating] = useState(0);
  return (
    <form
      class="narrow"
      aria-label="Write a review"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        const f = new FormData(e.currentTarget);
        setBusy(true);
        const r = await shop.client
          .mutation(ReviewCreateDoc, {
            input: { productId, rating, title: String(f.get('title') ?? ''), body: String(f.get('body') ?? '') },
          })
          .toPromise();
        setBusy(false);
        const p = r.data?.reviewCreate;
        if (p?.review) {
          setErrors({});
          onCreated(p.review);
          return;
        }
        // NOT_PURCHASED and ALREADY_REVIEWED name the product: they belong to the form as a whole.
        const fe = p ? fieldErrors(p.userErrors) : { '': r.error?.message ?? 'The review could not be sent.' };
        if (fe.productId) fe[''] = fe[''] ? `${fe['']} ${fe.productId}` : fe.productId;
        setErrors(fe);
      }}
    >
      <h3>Write a review</h3>
      <FormError message={errors['']} />
      <fieldset class={`options${errors.rating ? ' has-error' : ''}`} aria-describedby={errors.rating ? 'f-rating-err' : undefined}>
        <legend>Your rating</legend>
        <div class="choices">
          {[1, 2, 3, 4, 5].map((n) => (
            <label key={n}>
              <input type="radio" name="rating" value={n} checked={rating === n} onChange={() => setRating(n)} />
              <span>
                {n} {n === 1 ? 'star' : 'stars'}
              </span>
            </label>
          ))}
        </div>
        {errors.rating && (
          <p class="field-error" id="f-rating-err" role="alert" data-field-error="rating">
            {errors.rating}
          </p>
        )}
      </fieldset>
      <div class={`field${errors.title ? ' has-error' : ''}`}>
        <label for="f-review-title">Headline (optional)</label>
        <input id="f-review-title" name="title" maxLength={120} aria-invalid={errors.title ? 'true' : undefined} />
        {errors.title && (
          <p class="field-error" role="alert" data-field-error="title">
            {errors.title}
          </p>
        )}
      </div>
      <div class={`field${errors.body ? ' has-error' : ''}`}>
        <label for="f-review-body">Your review (optional)</label>
        <textarea id="f-review-body" name="body" rows={4} aria-invalid={errors.body ? 'true' : undefined} />
        {errors.body && (
          <p class="field-error" role="alert" data-field-error="body">
            {errors.body}
          </p>
        )}
      </div>
      <button type="submit" disabled={busy}>
        Send review
      </button>
    </form>
  );
}
