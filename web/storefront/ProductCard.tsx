// A product in a listing. Its fragment is all a listing asks about a product: the
// featured image at the card's width, the price (from the cheapest variant), the rating.
import { graphql } from './gql';
import type { ProductCardFragment } from './gql/graphql';
import { money } from '../shared/format';
import { Stars } from '../shared/ui';

export const ProductCardFields = graphql(`
  fragment ProductCard on Product {
    id
    slug
    name
    price { amount currencyCode }
    priceRange { maxVariantPrice { amount } }
    inStock
    category { id name }
    featuredImage { id url(width: 320) altText width height }
    rating { average count }
  }
`);

export function ProductCard({ product }: { product: ProductCardFragment }) {
  const img = product.featuredImage;
  const from = product.priceRange.maxVariantPrice.amount !== product.price.amount;
  return (
    <li class="card" data-product={product.slug}>
      {img && (
        <img
          class="card-img"
          src={img.url}
          alt={img.altText ?? ''}
          width={320}
          height={Math.round((320 * img.height) / img.width)}
          loading="lazy"
        />
      )}
      <h3>
        <a href={`/p/${encodeURIComponent(product.slug)}`}>{product.name}</a>
      </h3>
      <span class="muted">{product.category.name}</span>
      {product.rating.count > 0 && <Stars average={product.rating.average} count={product.rating.count} />}
      <span class="price">
        {from && 'From '}
        {money(product.price)}
      </span>
      <span class={product.inStock ? 'stock-in' : 'stock-out'}>{product.inStock ? 'In stock' : 'Out of stock'}</span>
    </li>
  );
}

export function ProductGrid({ products, label }: { products: readonly ProductCardFragment[]; label: string }) {
  if (!products.length) return <p>No products match.</p>;
  return (
    <ul class="grid" aria-label={label}>
      {products.map((p) => (
        <ProductCard key={p.id} product={p} />
      ))}
    </ul>
  );
}
