// Catalog editing: find a product, change it and its variants (price, compare-at price,
// stock per variant), add a variant, hide a review, or add a product. Every user error
// appears next to the field it names.
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { useQuery } from '@urql/preact';
import { graphql } from './gql';
import { useAdmin } from './admin';
import { date, money } from '../shared/format';
import { navigate } from '../shared/router';
import { Field, FormError, Loading, Select, Stars, fieldErrors, formValues, type FieldErrors } from '../shared/ui';
import type { AdminReviewFragment, AdminVariantFragment } from './gql/graphql';

const ProductListDoc = graphql(`
  query AdminProducts($query: String, $after: String) {
    products(first: 25, after: $after, filter: { query: $query }, sort: { key: ID, reverse: true }) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { id slug name price { amount currencyCode } availableQuantity category { id name } }
    }
    lowStockProducts(threshold: 5, first: 10) {
      nodes { id name availableQuantity }
    }
  }
`);

const ProductEditDoc = graphql(`
  query AdminProduct($id: ID!) {
    product(id: $id) {
      id
      slug
      name
      description
      price { amount currencyCode }
      availableQuantity
      category { id }
      options { name values }
      variants { ...AdminVariant }
      rating { average count }
      reviews(first: 50) {
        totalCount
        nodes { ...AdminReview }
      }
    }
    categories { ...AdminCategoryOptions }
  }
`);

const VariantFields = graphql(`
  fragment AdminVariant on ProductVariant {
    id
    title
    sku
    selectedOptions { name value }
    price { amount currencyCode }
    compareAtPrice { amount currencyCode }
    availableQuantity
  }
`);
void VariantFields;

const ReviewFields = graphql(`
  fragment AdminReview on Review {
    id
    authorName
    rating
    title
    body
    hidden
    createdAt
  }
`);
void ReviewFields;

const VariantsPayloadFields = graphql(`
  fragment AdminVariantsPayload on ProductVariantsPayload {
    product { id availableQuantity variants { ...AdminVariant } }
    variants { id title }
    userErrors { field message code }
  }
`);
void VariantsPayloadFields;

const VariantsUpdateDoc = graphql(`
  mutation AdminVariantsUpdate($productId: ID!, $variants: [ProductVariantUpdateInput!]!) {
    productVariantsUpdate(productId: $productId, variants: $variants) { ...AdminVariantsPayload }
  }
`);

const VariantsCreateDoc = graphql(`
  mutation AdminVariantsCreate($productId: ID!, $variants: [ProductVariantInput!]!) {
    productVariantsCreate(productId: $productId, variants: $variants) { ...AdminVariantsPayload }
  }
`);

const ReviewHideDoc = graphql(`
  mutation AdminReviewHide($id: ID!, $hidden: Boolean!) {
    reviewHide(id: $id, hidden: $hidden) {
      review { ...AdminReview }
      userErrors { field message code }
    }
  }
`);

const CategoriesDoc = graphql(`
  query AdminCategories {
    categories { ...AdminCategoryOptions }
  }
`);

const CategoryOptionsFields = graphql(`
  fragment AdminCategoryOptions on Category {
    id
    name
    children { id name children { id name } }
  }
`);
void CategoryOptionsFields;

const ProductFieldsDoc = graphql(`
  fragment AdminProductPayload on ProductPayload {
    product { id slug name description price { amount currencyCode } availableQuantity category { id } }
    userErrors { field message code }
  }
`);
void ProductFieldsDoc;

const UpdateDoc = graphql(`
  mutation AdminProductUpdate($id: ID!, $input: ProductUpdateInput!) {
    productUpdate(id: $id, input: $input) { ...AdminProductPayload }
  }
`);

const CreateDoc = graphql(`
  mutation AdminProductCreate($input: ProductCreateInput!) {
    productCreate(input: $input) { ...AdminProductPayload }
  }
`);

const AdjustDoc = graphql(`
  mutation AdminInventoryAdjust($productId: ID!, $variantId: ID, $delta: Int!, $reason: String!) {
    inventoryAdjust(productId: $productId, variantId: $variantId, delta: $delta, reason: $reason) {
      product { id availableQuantity variants { ...AdminVariant } }
      userErrors { field message code }
    }
  }
`);

export function ProductList({ query }: { query: URLSearchParams }) {
  const q = query.get('q') ?? '';
  const [{ data, fetching, error }] = useQuery({ query: ProductListDoc, variables: { query: q || null, after: query.get('after') } });
  return (
    <>
      <div class="row">
        <h1>Products</h1>
        <a class="button" href="/admin/products/new" style="margin-left: auto">
          Add a product
        </a>
      </div>
      <form
        class="row"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          const v = formValues(e);
          navigate(`/admin/products?${new URLSearchParams(v.q ? { q: v.q } : {})}`);
        }}
      >
        <Field label="Search products" name="q" type="search" defaultValue={q} />
        <div class="field" style="flex: 0 0 auto">
          <button type="submit">Search</button>
        </div>
      </form>
      {fetching && !data && <Loading />}
      <FormError error={data ? null : error} />
      {data && (
        <>
          {data.lowStockProducts.nodes.length > 0 && (
            <p class="notice" style="color: var(--warn); border-color: var(--warn); background: #fff8ee">
              Low stock:{' '}
              {data.lowStockProducts.nodes.map((p, i) => (
                <>
                  {i > 0 && ', '}
                  <a href={`/admin/products/${encodeURIComponent(p.id)}`}>{p.name}</a> ({p.availableQuantity})
                </>
              ))}
            </p>
          )}
          <p class="muted">{data.products.totalCount} products</p>
          <table class="responsive" aria-label="Products">
            <thead>
              <tr>
                <th>Name</th>
                <th>Category</th>
                <th class="num">Price</th>
                <th class="num">Stock</th>
              </tr>
            </thead>
            <tbody>
              {data.products.nodes.map((p) => (
                <tr key={p.id} data-product={p.slug}>
                  <td data-label="Name">
                    <a href={`/admin/products/${encodeURIComponent(p.id)}`}>{p.name}</a>
                  </td>
                  <td data-label="Category">{p.category.name}</td>
                  <td data-label="Price" class="num">{money(p.price)}</td>
                  <td data-label="Stock" class="num">{p.availableQuantity}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {data.products.pageInfo.hasNextPage && data.products.pageInfo.endCursor && (
            <p class="pager">
              <a href={`/admin/products?${new URLSearchParams({ ...(q ? { q } : {}), after: data.products.pageInfo.endCursor })}`}>Next page</a>
            </p>
          )}
        </>
      )}
    </>
  );
}

interface CategoryOption {
  id: string;
  name: string;
  children?: readonly CategoryOption[];
}

function categoryOptions(cs: readonly CategoryOption[], selected: string, depth = 0): JSX.Element[] {
  return cs.flatMap((c) => [
    <option key={c.id} value={c.id} selected={c.id === selected}>
      {'\u00a0\u00a0'.repeat(depth) + c.name}
    </option>,
    ...categoryOptions(c.children ?? [], selected, depth + 1),
  ]);
}

export function ProductEdit({ id }: { id: string }) {
  const admin = useAdmin();
  const [{ data, fetching, error }, refetch] = useQuery({ query: ProductEditDoc, variables: { id } });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [saved, setSaved] = useState('');
  // Listings leave hidden reviews out: those hidden here stay in view, to show them again.
  const [hiddenHere, setHiddenHere] = useState<AdminReviewFragment[]>([]);
  if (fetching && !data) return <Loading />;
  if (!data) return <FormError error={error} />;
  const p = data.product;
  if (!p) return <h1>No such product</h1>;
  const reviews = [...p.reviews.nodes.filter((r) => !hiddenHere.some((h) => h.id === r.id)), ...hiddenHere];
  const single = p.variants.length === 1;
  const reload = () => refetch({ requestPolicy: 'network-only' });
  return (
    <>
      <p class="breadcrumbs">
        <a href="/admin/products">Products</a>
      </p>
      <h1>{p.name}</h1>
      {saved && (
        <p class="notice" role="status">
          {saved}
        </p>
      )}
      <form
        class="narrow"
        noValidate
        aria-label="Product details"
        onSubmit={async (e) => {
          e.preventDefault();
          const v = formValues(e);
          const r = await admin.client
            .mutation(UpdateDoc, {
              id: p.id,
              input: {
                name: v.name,
                slug: v.slug,
                description: v.description,
                price: single ? v.price : undefined,
                categoryId: v.categoryId,
              },
            })
            .toPromise();
          const payload = r.data?.productUpdate;
          setErrors(payload ? fieldErrors(payload.userErrors) : { '': r.error?.message ?? 'Saving failed.' });
          setSaved(payload?.product ? 'Saved.' : '');
          if (payload?.product) reload();
        }}
      >
        <FormError message={errors['']} />
        <Field label="Name" name="name" defaultValue={p.name} error={errors.name} />
        <Field label="URL handle" name="slug" defaultValue={p.slug} error={errors.slug} />
        <div class="field">
          <label for="f-description">Description</label>
          <textarea id="f-description" name="description" rows={4} defaultValue={p.description} />
          {errors.description && <p class="field-error" role="alert">{errors.description}</p>}
        </div>
        {single && (
          <Field label={`Price (${p.price.currencyCode})`} name="price" inputMode="decimal" defaultValue={p.price.amount} error={errors.price} />
        )}
        <Select label="Category" name="categoryId" error={errors.categoryId}>
          {categoryOptions(data.categories, p.category.id)}
        </Select>
        <button type="submit">Save</button>
      </form>
      <h2>Variants and stock</h2>
      <p>
        Available, all variants: <strong data-stock>{p.availableQuantity}</strong>
      </p>
      <ul class="variants" aria-label="Variants">
        {p.variants.map((v, i) => (
          <VariantRow key={v.id} productId={p.id} variant={v} index={i} onSaved={(text) => (setSaved(text), reload())} />
        ))}
      </ul>
      <AddVariant
        productId={p.id}
        optionNames={p.options.map((o) => o.name)}
        currency={p.price.currencyCode}
        onSaved={(text) => (setSaved(text), reload())}
      />
      <h2>Reviews</h2>
      <p>
        {p.rating.count > 0 ? <Stars average={p.rating.average} count={p.rating.count} /> : 'No visible reviews.'}{' '}
        <span class="muted">({p.reviews.totalCount} visible; reviews hidden from the shop leave this list when the page is reloaded)</span>
      </p>
      <ul class="reviews" aria-label="Reviews">
        {reviews.map((r) => (
          <ReviewRow
            key={r.id}
            review={r}
            onChanged={(changed, text) => {
              setHiddenHere((h) => (changed.hidden ? [...h.filter((x) => x.id !== changed.id), changed] : h.filter((x) => x.id !== changed.id)));
              setSaved(text);
              reload();
            }}
          />
        ))}
      </ul>
    </>
  );
}

/** VariantRow edits one variant: its prices, and its stock through inventoryAdjust. */
function VariantRow(props: { productId: string; variant: AdminVariantFragment; index: number; onSaved: (text: string) => void }) {
  const admin = useAdmin();
  const { variant: v, index: i } = props;
  const [priceErrors, setPriceErrors] = useState<FieldErrors>({});
  const [stockErrors, setStockErrors] = useState<FieldErrors>({});
  return (
    <li class="variant" data-variant-title={v.title} data-variant={v.id}>
      <h3>
        {v.title} <span class="muted">SKU {v.sku}</span>
      </h3>
      <div class="row">
        <form
          class="row"
          noValidate
          aria-label={`Prices of ${v.title}`}
          onSubmit={async (e) => {
            e.preventDefault();
            const f = formValues(e);
            const compare = f.compareAtPrice.trim();
            const r = await admin.client
              .mutation(VariantsUpdateDoc, {
                productId: props.productId,
                variants: [{ id: v.id, price: f.price.trim(), ...(compare ? { compareAtPrice: compare } : { clearCompareAtPrice: true }) }],
              })
              .toPromise();
            const payload = r.data?.productVariantsUpdate;
            setPriceErrors(payload ? fieldErrors(payload.userErrors) : { '': r.error?.message ?? 'Saving failed.' });
            if (payload?.product) props.onSaved(`Saved the prices of ${v.title}.`);
          }}
        >
          <Field id={`v${i}-price`} label={`Price (${v.price.currencyCode})`} name="price" inputMode="decimal" defaultValue={v.price.amount} error={priceErrors.price} size={8} />
          <Field
            id={`v${i}-compare`}
            label="Compare-at price"
            name="compareAtPrice"
            inputMode="decimal"
            defaultValue={v.compareAtPrice?.amount ?? ''}
            error={priceErrors.compareAtPrice}
            size={8}
          />
          <div class="field" style="flex: 0 0 auto">
            <button type="submit">Save prices</button>
          </div>
          <FormError message={priceErrors['']} />
        </form>
        <form
          class="row"
          noValidate
          aria-label={`Adjust stock of ${v.title}`}
          onSubmit={async (e) => {
            e.preventDefault();
            const form = e.currentTarget as HTMLFormElement;
            const f = formValues(e);
            const delta = Number(f.delta);
            if (f.delta.trim() === '' || !Number.isInteger(delta)) {
              setStockErrors({ delta: 'Enter a whole number, such as 10 or -3.' });
              return;
            }
            const r = await admin.client
              .mutation(AdjustDoc, { productId: props.productId, variantId: v.id, delta, reason: f.reason })
              .toPromise();
            const payload = r.data?.inventoryAdjust;
            setStockErrors(payload ? fieldErrors(payload.userErrors) : { '': r.error?.message ?? 'The adjustment failed.' });
            if (payload?.product) {
              const now = payload.product.variants.find((x) => x.id === v.id)?.availableQuantity;
              form.reset();
              props.onSaved(`Stock of ${v.title} is now ${now}.`);
            }
          }}
        >
          <p class="field" style="flex: 0 0 auto">
            <span>Stock</span>
            <strong data-variant-stock={v.availableQuantity}>{v.availableQuantity}</strong>
          </p>
          <Field id={`v${i}-delta`} label="Change (+ or −)" name="delta" inputMode="numeric" error={stockErrors.delta} size={5} />
          <Field id={`v${i}-reason`} label="Reason" name="reason" error={stockErrors.reason} size={12} />
          <div class="field" style="flex: 0 0 auto">
            <button type="submit">Adjust stock</button>
          </div>
          <FormError message={stockErrors[''] ?? stockErrors.variantId} />
        </form>
      </div>
    </li>
  );
}

/** AddVariant creates a variant with a value for each of the product's options. */
function AddVariant(props: { productId: string; optionNames: string[]; currency: string; onSaved: (text: string) => void }) {
  const admin = useAdmin();
  const [errors, setErrors] = useState<FieldErrors>({});
  const named = props.optionNames.length > 0;
  return (
    <form
      class="narrow"
      noValidate
      aria-label="Add a variant"
      onSubmit={async (e) => {
        e.preventDefault();
        const form = e.currentTarget as HTMLFormElement;
        const f = formValues(e);
        const selectedOptions = named
          ? props.optionNames.map((name, i) => ({ name, value: f[`opt${i}`] ?? '' }))
          : [{ name: f.optName ?? '', value: f.optValue ?? '' }];
        const stock = f.stock.trim() === '' ? undefined : Number(f.stock);
        if (stock !== undefined && !Number.isInteger(stock)) {
          setErrors({ stock: 'Enter a whole number of units.' });
          return;
        }
        const r = await admin.client
          .mutation(VariantsCreateDoc, {
            productId: props.productId,
            variants: [
              {
                selectedOptions,
                price: f.price.trim(),
                compareAtPrice: f.compareAtPrice.trim() || undefined,
                sku: f.sku.trim() || undefined,
                stock,
              },
            ],
          })
          .toPromise();
        const payload = r.data?.productVariantsCreate;
        const fe = payload ? fieldErrors(payload.userErrors) : { '': r.error?.message ?? 'Adding the variant failed.' };
        // Errors about one option value name the value's index; show them on the options.
        for (const ue of payload?.userErrors ?? []) {
          if (ue.field?.includes('selectedOptions')) fe.selectedOptions = ue.message;
        }
        setErrors(fe);
        if (payload?.product) {
          form.reset();
          props.onSaved(`Added the variant ${payload.variants[0]?.title ?? ''}.`);
        }
      }}
    >
      <h3>Add a variant</h3>
      <FormError message={errors['']} />
      <fieldset class="options">
        <legend>Options</legend>
        {named ? (
          props.optionNames.map((name, i) => <Field key={name} id={`nv-opt${i}`} label={name} name={`opt${i}`} />)
        ) : (
          <>
            <p class="muted">This product has no options yet: give the new variant one (its default variant must then get one too).</p>
            <Field id="nv-optName" label="Option name, such as Size" name="optName" />
            <Field id="nv-optValue" label="Value, such as XL" name="optValue" />
          </>
        )}
        {(errors.selectedOptions || errors.name || errors.value) && (
          <p class="field-error" role="alert" data-field-error="selectedOptions">
            {errors.selectedOptions ?? errors.name ?? errors.value}
          </p>
        )}
      </fieldset>
      <Field id="nv-price" label={`Price (${props.currency})`} name="price" inputMode="decimal" error={errors.price} />
      <Field id="nv-compare" label="Compare-at price (optional)" name="compareAtPrice" inputMode="decimal" error={errors.compareAtPrice} />
      <Field id="nv-sku" label="SKU (optional)" name="sku" error={errors.sku} />
      <Field id="nv-stock" label="Initial stock" name="stock" inputMode="numeric" error={errors.stock} />
      <button type="submit">Add variant</button>
    </form>
  );
}

/** ReviewRow shows a review with the button that hides it from the shop or shows it again. */
function ReviewRow({ review: r, onChanged }: { review: AdminReviewFragment; onChanged: (r: AdminReviewFragment, text: string) => void }) {
  const admin = useAdmin();
  const [err, setErr] = useState('');
  return (
    <li data-review={r.id} data-hidden={String(r.hidden)} class={r.hidden ? 'hidden-review' : undefined}>
      <Stars average={r.rating} /> {r.title && <strong>{r.title}</strong>} {r.hidden && <span class="status status-CANCELLED">Hidden</span>}
      {r.body && <p>{r.body}</p>}
      <p class="muted">
        {r.authorName}, {date(r.createdAt)}
      </p>
      <button
        type="button"
        class="secondary"
        onClick={async () => {
          const res = await admin.client.mutation(ReviewHideDoc, { id: r.id, hidden: !r.hidden }).toPromise();
          const p = res.data?.reviewHide;
          if (p?.review) {
            setErr('');
            onChanged(p.review, p.review.hidden ? `Hid the review by ${r.authorName}.` : `The review by ${r.authorName} is visible again.`);
          } else setErr(p?.userErrors[0]?.message ?? res.error?.message ?? 'That did not work.');
        }}
      >
        {r.hidden ? 'Show review' : 'Hide review'}
      </button>
      <FormError message={err} />
    </li>
  );
}

export function ProductCreate() {
  const admin = useAdmin();
  const [{ data }] = useQuery({ query: CategoriesDoc });
  const [errors, setErrors] = useState<FieldErrors>({});
  return (
    <>
      <p class="breadcrumbs">
        <a href="/admin/products">Products</a>
      </p>
      <h1>Add a product</h1>
      <form
        class="narrow"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          const v = formValues(e);
          const stock = v.stock.trim() === '' ? null : Number(v.stock);
          const r = await admin.client
            .mutation(CreateDoc, {
              input: { name: v.name, slug: v.slug || null, description: v.description, price: v.price, categoryId: v.categoryId, stock },
            })
            .toPromise();
          const payload = r.data?.productCreate;
          if (payload?.product) {
            navigate(`/admin/products/${encodeURIComponent(payload.product.id)}`);
            return;
          }
          setErrors(payload ? fieldErrors(payload.userErrors) : { '': r.error?.message ?? 'Saving failed.' });
        }}
      >
        <FormError message={errors['']} />
        <Field label="Name" name="name" error={errors.name} />
        <Field label="URL handle (optional)" name="slug" error={errors.slug} />
        <div class="field">
          <label for="f-description">Description</label>
          <textarea id="f-description" name="description" rows={4} />
          {errors.description && <p class="field-error" role="alert">{errors.description}</p>}
        </div>
        <Field label="Price" name="price" inputMode="decimal" error={errors.price} />
        <Select label="Category" name="categoryId" error={errors.categoryId}>
          {data ? categoryOptions(data.categories, '') : []}
        </Select>
        <Field label="Initial stock" name="stock" inputMode="numeric" error={errors.stock} />
        <button type="submit">Add product</button>
      </form>
    </>
  );
}
