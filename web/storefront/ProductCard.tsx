// A product in a listing. Its fragment is all a listing asks about a product: a field the
// card needs later (an image, a rating) goes here and every listing fetches it.
import { graphql } from './gql';
import type { ProductCardFragment } from './gql/graphql';
import { money } from '../shared/format';

export const ProductCardFields = graphql(`
  fragment ProductCard on Product {
    id
    slug
    name
    price { amount currencyCode }
    inStock
    category { id name }
  }
`);

export function ProductCard({ product }: { product: ProductCardFragment }) {
  return (
    <li class="card" data-product={product.slug}>
      <h3>
        <a href={`/p/${encodeURIComponent(product.slug)}`}>{product.name}</a>
      </h3>
      <span class="muted">{product.category.name}</span>
      <span class="price">{money(product.price)}</span>
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
