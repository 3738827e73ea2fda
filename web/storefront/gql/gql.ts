/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment StorefrontAuth on AuthPayload {\n    token\n    refreshToken\n    expiresAt\n    user { id email name role }\n    userErrors { field message code }\n  }\n": typeof types.StorefrontAuthFragmentDoc,
    "\n  mutation Register($input: RegisterInput!) {\n    register(input: $input) { ...StorefrontAuth }\n  }\n": typeof types.RegisterDocument,
    "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) { ...StorefrontAuth }\n  }\n": typeof types.LoginDocument,
    "\n  mutation Logout {\n    logout\n  }\n": typeof types.LogoutDocument,
    "\n  fragment CartFields on Cart {\n    id\n    totalQuantity\n    subtotal { amount currencyCode }\n    lines {\n      id\n      quantity\n      unitPrice { amount currencyCode }\n      total { amount currencyCode }\n      product { id slug name featuredImage { id url(width: 96) altText } }\n      variant { id title availableQuantity inStock image { id url(width: 96) altText } }\n    }\n  }\n": typeof types.CartFieldsFragmentDoc,
    "\n  query CartPage($id: ID!) {\n    cart(id: $id) { ...CartFields }\n  }\n": typeof types.CartPageDocument,
    "\n  mutation CartLinesUpdate($cartId: ID!, $lines: [CartLineUpdateInput!]!) {\n    cartLinesUpdate(cartId: $cartId, lines: $lines) {\n      cart { ...CartFields }\n      userErrors { field message code }\n    }\n  }\n": typeof types.CartLinesUpdateDocument,
    "\n  mutation CartLinesRemove($cartId: ID!, $lineIds: [ID!]!) {\n    cartLinesRemove(cartId: $cartId, lineIds: $lineIds) {\n      cart { ...CartFields }\n      userErrors { field message code }\n    }\n  }\n": typeof types.CartLinesRemoveDocument,
    "\n  query CheckoutCart($id: ID!) {\n    cart(id: $id) {\n      id\n      totalQuantity\n      subtotal { amount currencyCode }\n      lines { id quantity product { id name } variant { id title } total { amount currencyCode } }\n    }\n    me { id name email }\n  }\n": typeof types.CheckoutCartDocument,
    "\n  mutation Checkout($input: CheckoutInput!) {\n    checkout(input: $input) {\n      order { id number status statusHistory { sequence status note } }\n      userErrors { field message code }\n    }\n  }\n": typeof types.CheckoutDocument,
    "\n  query HomePage {\n    categories {\n      id\n      slug\n      name\n      children { id slug name }\n    }\n    products(first: 8, sort: { key: BEST_SELLING }) {\n      nodes { ...ProductCard }\n    }\n  }\n": typeof types.HomePageDocument,
    "\n  fragment CategoryMenu on Category {\n    id\n    slug\n    name\n    children { id slug name children { id slug name } }\n  }\n": typeof types.CategoryMenuFragmentDoc,
    "\n  fragment ListingFacet on ProductFacet {\n    kind\n    name\n    type\n    min\n    max\n    values { value label count }\n  }\n": typeof types.ListingFacetFragmentDoc,
    "\n  query CategoryListing($slug: String!, $filter: ProductFilter, $sort: ProductSort, $first: Int!, $after: String) {\n    category(slug: $slug) {\n      id\n      name\n      description\n      parent { id slug name }\n      products(first: $first, after: $after, filter: $filter, sort: $sort) {\n        totalCount\n        pageInfo { hasNextPage endCursor }\n        nodes { ...ProductCard }\n        facets { ...ListingFacet }\n      }\n    }\n    categories { ...CategoryMenu }\n  }\n": typeof types.CategoryListingDocument,
    "\n  query SearchProducts($filter: ProductFilter, $sort: ProductSort, $first: Int!, $after: String) {\n    products(first: $first, after: $after, filter: $filter, sort: $sort) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      nodes { ...ProductCard }\n      facets { ...ListingFacet }\n    }\n    categories { ...CategoryMenu }\n  }\n": typeof types.SearchProductsDocument,
    "\n  fragment OrderStep on OrderStatusEvent {\n    sequence\n    status\n    previousStatus\n    at\n    note\n    shipment { carrier trackingNumber }\n  }\n": typeof types.OrderStepFragmentDoc,
    "\n  query OrderPage($id: ID!) {\n    order(id: $id) {\n      id\n      number\n      status\n      createdAt\n      email\n      paymentMethod\n      subtotal { amount currencyCode }\n      total { amount currencyCode }\n      refundedAmount { amount currencyCode }\n      shippingAddress { name line1 line2 city region postalCode country }\n      lines {\n        name\n        variantTitle\n        quantity\n        unitPrice { amount currencyCode }\n        total { amount currencyCode }\n        product { id slug featuredImage { id url(width: 96) altText } }\n        variant { id image { id url(width: 96) altText } }\n      }\n      statusHistory { ...OrderStep }\n    }\n  }\n": typeof types.OrderPageDocument,
    "\n  subscription OrderLive($orderId: ID!, $afterSequence: Int) {\n    orderStatusChanged(orderId: $orderId, afterSequence: $afterSequence) { ...OrderStep }\n  }\n": typeof types.OrderLiveDocument,
    "\n  query MyOrders($after: String) {\n    me {\n      id\n      orders(first: 20, after: $after) {\n        totalCount\n        pageInfo { hasNextPage endCursor }\n        nodes { id number status createdAt total { amount currencyCode } }\n      }\n    }\n  }\n": typeof types.MyOrdersDocument,
    "\n  fragment ProductCard on Product {\n    id\n    slug\n    name\n    price { amount currencyCode }\n    priceRange { maxVariantPrice { amount } }\n    inStock\n    category { id name }\n    featuredImage { id url(width: 320) altText width height }\n    rating { average count }\n  }\n": typeof types.ProductCardFragmentDoc,
    "\n  query ProductPage($slug: String!, $reviews: Int!) {\n    product(slug: $slug) {\n      id\n      name\n      category { id slug name parent { id slug name } }\n      ...ProductGallery\n      ...ProductBuyBox\n      ...ProductDetails\n      ...ProductReviews\n    }\n  }\n": typeof types.ProductPageDocument,
    "\n  fragment ProductGallery on Product {\n    images { id url(width: 720) thumb: url(width: 128) altText width height }\n  }\n": typeof types.ProductGalleryFragmentDoc,
    "\n  fragment ProductBuyBox on Product {\n    id\n    name\n    brand { id slug name }\n    rating { average count }\n    options { name values }\n    variants {\n      id\n      title\n      sku\n      selectedOptions { name value }\n      price { amount currencyCode }\n      compareAtPrice { amount currencyCode }\n      availableQuantity\n      inStock\n      image { id }\n    }\n  }\n": typeof types.ProductBuyBoxFragmentDoc,
    "\n  fragment ProductDetails on Product {\n    description\n    createdAt\n    attributes { name type value }\n  }\n": typeof types.ProductDetailsFragmentDoc,
    "\n  fragment ProductReview on Review {\n    id\n    authorName\n    rating\n    title\n    body\n    createdAt\n    viewerIsAuthor\n  }\n": typeof types.ProductReviewFragmentDoc,
    "\n  fragment ProductReviews on Product {\n    id\n    reviews(first: $reviews) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      nodes { ...ProductReview }\n    }\n  }\n": typeof types.ProductReviewsFragmentDoc,
    "\n  query ProductMoreReviews($id: ID!, $first: Int!, $after: String!) {\n    product(id: $id) {\n      id\n      reviews(first: $first, after: $after) {\n        pageInfo { hasNextPage endCursor }\n        nodes { ...ProductReview }\n      }\n    }\n  }\n": typeof types.ProductMoreReviewsDocument,
    "\n  mutation ReviewCreate($input: ReviewCreateInput!) {\n    reviewCreate(input: $input) {\n      review { ...ProductReview }\n      userErrors { field message code }\n    }\n  }\n": typeof types.ReviewCreateDocument,
    "\n  mutation CartCreate($lines: [CartLineInput!]) {\n    cartCreate(lines: $lines) {\n      cart { id totalQuantity }\n      userErrors { field message code }\n    }\n  }\n": typeof types.CartCreateDocument,
    "\n  mutation CartLinesAdd($cartId: ID!, $lines: [CartLineInput!]!) {\n    cartLinesAdd(cartId: $cartId, lines: $lines) {\n      cart { id totalQuantity }\n      userErrors { field message code }\n    }\n  }\n": typeof types.CartLinesAddDocument,
    "\n  mutation StorefrontRefresh($token: String!) {\n    refreshToken(token: $token) {\n      token\n      refreshToken\n      expiresAt\n      user { id email name role }\n      userErrors { code message }\n    }\n  }\n": typeof types.StorefrontRefreshDocument,
    "\n  query CartCount($id: ID!) {\n    cart(id: $id) { id totalQuantity }\n  }\n": typeof types.CartCountDocument,
    "\n  mutation TrackEvents($events: [TrackEventInput!]!) {\n    trackEvents(events: $events) { accepted userErrors { code message } }\n  }\n": typeof types.TrackEventsDocument,
};
const documents: Documents = {
    "\n  fragment StorefrontAuth on AuthPayload {\n    token\n    refreshToken\n    expiresAt\n    user { id email name role }\n    userErrors { field message code }\n  }\n": types.StorefrontAuthFragmentDoc,
    "\n  mutation Register($input: RegisterInput!) {\n    register(input: $input) { ...StorefrontAuth }\n  }\n": types.RegisterDocument,
    "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) { ...StorefrontAuth }\n  }\n": types.LoginDocument,
    "\n  mutation Logout {\n    logout\n  }\n": types.LogoutDocument,
    "\n  fragment CartFields on Cart {\n    id\n    totalQuantity\n    subtotal { amount currencyCode }\n    lines {\n      id\n      quantity\n      unitPrice { amount currencyCode }\n      total { amount currencyCode }\n      product { id slug name featuredImage { id url(width: 96) altText } }\n      variant { id title availableQuantity inStock image { id url(width: 96) altText } }\n    }\n  }\n": types.CartFieldsFragmentDoc,
    "\n  query CartPage($id: ID!) {\n    cart(id: $id) { ...CartFields }\n  }\n": types.CartPageDocument,
    "\n  mutation CartLinesUpdate($cartId: ID!, $lines: [CartLineUpdateInput!]!) {\n    cartLinesUpdate(cartId: $cartId, lines: $lines) {\n      cart { ...CartFields }\n      userErrors { field message code }\n    }\n  }\n": types.CartLinesUpdateDocument,
    "\n  mutation CartLinesRemove($cartId: ID!, $lineIds: [ID!]!) {\n    cartLinesRemove(cartId: $cartId, lineIds: $lineIds) {\n      cart { ...CartFields }\n      userErrors { field message code }\n    }\n  }\n": types.CartLinesRemoveDocument,
    "\n  query CheckoutCart($id: ID!) {\n    cart(id: $id) {\n      id\n      totalQuantity\n      subtotal { amount currencyCode }\n      lines { id quantity product { id name } variant { id title } total { amount currencyCode } }\n    }\n    me { id name email }\n  }\n": types.CheckoutCartDocument,
    "\n  mutation Checkout($input: CheckoutInput!) {\n    checkout(input: $input) {\n      order { id number status statusHistory { sequence status note } }\n      userErrors { field message code }\n    }\n  }\n": types.CheckoutDocument,
    "\n  query HomePage {\n    categories {\n      id\n      slug\n      name\n      children { id slug name }\n    }\n    products(first: 8, sort: { key: BEST_SELLING }) {\n      nodes { ...ProductCard }\n    }\n  }\n": types.HomePageDocument,
    "\n  fragment CategoryMenu on Category {\n    id\n    slug\n    name\n    children { id slug name children { id slug name } }\n  }\n": types.CategoryMenuFragmentDoc,
    "\n  fragment ListingFacet on ProductFacet {\n    kind\n    name\n    type\n    min\n    max\n    values { value label count }\n  }\n": types.ListingFacetFragmentDoc,
    "\n  query CategoryListing($slug: String!, $filter: ProductFilter, $sort: ProductSort, $first: Int!, $after: String) {\n    category(slug: $slug) {\n      id\n      name\n      description\n      parent { id slug name }\n      products(first: $first, after: $after, filter: $filter, sort: $sort) {\n        totalCount\n        pageInfo { hasNextPage endCursor }\n        nodes { ...ProductCard }\n        facets { ...ListingFacet }\n      }\n    }\n    categories { ...CategoryMenu }\n  }\n": types.CategoryListingDocument,
    "\n  query SearchProducts($filter: ProductFilter, $sort: ProductSort, $first: Int!, $after: String) {\n    products(first: $first, after: $after, filter: $filter, sort: $sort) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      nodes { ...ProductCard }\n      facets { ...ListingFacet }\n    }\n    categories { ...CategoryMenu }\n  }\n": types.SearchProductsDocument,
    "\n  fragment OrderStep on OrderStatusEvent {\n    sequence\n    status\n    previousStatus\n    at\n    note\n    shipment { carrier trackingNumber }\n  }\n": types.OrderStepFragmentDoc,
    "\n  query OrderPage($id: ID!) {\n    order(id: $id) {\n      id\n      number\n      status\n      createdAt\n      email\n      paymentMethod\n      subtotal { amount currencyCode }\n      total { amount currencyCode }\n      refundedAmount { amount currencyCode }\n      shippingAddress { name line1 line2 city region postalCode country }\n      lines {\n        name\n        variantTitle\n        quantity\n        unitPrice { amount currencyCode }\n        total { amount currencyCode }\n        product { id slug featuredImage { id url(width: 96) altText } }\n        variant { id image { id url(width: 96) altText } }\n      }\n      statusHistory { ...OrderStep }\n    }\n  }\n": types.OrderPageDocument,
    "\n  subscription OrderLive($orderId: ID!, $afterSequence: Int) {\n    orderStatusChanged(orderId: $orderId, afterSequence: $afterSequence) { ...OrderStep }\n  }\n": types.OrderLiveDocument,
    "\n  query MyOrders($after: String) {\n    me {\n      id\n      orders(first: 20, after: $after) {\n        totalCount\n        pageInfo { hasNextPage endCursor }\n        nodes { id number status createdAt total { amount currencyCode } }\n      }\n    }\n  }\n": types.MyOrdersDocument,
    "\n  fragment ProductCard on Product {\n    id\n    slug\n    name\n    price { amount currencyCode }\n    priceRange { maxVariantPrice { amount } }\n    inStock\n    category { id name }\n    featuredImage { id url(width: 320) altText width height }\n    rating { average count }\n  }\n": types.ProductCardFragmentDoc,
    "\n  query ProductPage($slug: String!, $reviews: Int!) {\n    product(slug: $slug) {\n      id\n      name\n      category { id slug name parent { id slug name } }\n      ...ProductGallery\n      ...ProductBuyBox\n      ...ProductDetails\n      ...ProductReviews\n    }\n  }\n": types.ProductPageDocument,
    "\n  fragment ProductGallery on Product {\n    images { id url(width: 720) thumb: url(width: 128) altText width height }\n  }\n": types.ProductGalleryFragmentDoc,
    "\n  fragment ProductBuyBox on Product {\n    id\n    name\n    brand { id slug name }\n    rating { average count }\n    options { name values }\n    variants {\n      id\n      title\n      sku\n      selectedOptions { name value }\n      price { amount currencyCode }\n      compareAtPrice { amount currencyCode }\n      availableQuantity\n      inStock\n      image { id }\n    }\n  }\n": types.ProductBuyBoxFragmentDoc,
    "\n  fragment ProductDetails on Product {\n    description\n    createdAt\n    attributes { name type value }\n  }\n": types.ProductDetailsFragmentDoc,
    "\n  fragment ProductReview on Review {\n    id\n    authorName\n    rating\n    title\n    body\n    createdAt\n    viewerIsAuthor\n  }\n": types.ProductReviewFragmentDoc,
    "\n  fragment ProductReviews on Product {\n    id\n    reviews(first: $reviews) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      nodes { ...ProductReview }\n    }\n  }\n": types.ProductReviewsFragmentDoc,
    "\n  query ProductMoreReviews($id: ID!, $first: Int!, $after: String!) {\n    product(id: $id) {\n      id\n      reviews(first: $first, after: $after) {\n        pageInfo { hasNextPage endCursor }\n        nodes { ...ProductReview }\n      }\n    }\n  }\n": types.ProductMoreReviewsDocument,
    "\n  mutation ReviewCreate($input: ReviewCreateInput!) {\n    reviewCreate(input: $input) {\n      review { ...ProductReview }\n      userErrors { field message code }\n    }\n  }\n": types.ReviewCreateDocument,
    "\n  mutation CartCreate($lines: [CartLineInput!]) {\n    cartCreate(lines: $lines) {\n      cart { id totalQuantity }\n      userErrors { field message code }\n    }\n  }\n": types.CartCreateDocument,
    "\n  mutation CartLinesAdd($cartId: ID!, $lines: [CartLineInput!]!) {\n    cartLinesAdd(cartId: $cartId, lines: $lines) {\n      cart { id totalQuantity }\n      userErrors { field message code }\n    }\n  }\n": types.CartLinesAddDocument,
    "\n  mutation StorefrontRefresh($token: String!) {\n    refreshToken(token: $token) {\n      token\n      refreshToken\n      expiresAt\n      user { id email name role }\n      userErrors { code message }\n    }\n  }\n": types.StorefrontRefreshDocument,
    "\n  query CartCount($id: ID!) {\n    cart(id: $id) { id totalQuantity }\n  }\n": types.CartCountDocument,
    "\n  mutation TrackEvents($events: [TrackEventInput!]!) {\n    trackEvents(events: $events) { accepted userErrors { code message } }\n  }\n": types.TrackEventsDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment StorefrontAuth on AuthPayload {\n    token\n    refreshToken\n    expiresAt\n    user { id email name role }\n    userErrors { field message code }\n  }\n"): (typeof documents)["\n  fragment StorefrontAuth on AuthPayload {\n    token\n    refreshToken\n    expiresAt\n    user { id email name role }\n    userErrors { field message code }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Register($input: RegisterInput!) {\n    register(input: $input) { ...StorefrontAuth }\n  }\n"): (typeof documents)["\n  mutation Register($input: RegisterInput!) {\n    register(input: $input) { ...StorefrontAuth }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) { ...StorefrontAuth }\n  }\n"): (typeof documents)["\n  mutation Login($input: LoginInput!) {\n    login(input: $input) { ...StorefrontAuth }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Logout {\n    logout\n  }\n"): (typeof documents)["\n  mutation Logout {\n    logout\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment CartFields on Cart {\n    id\n    totalQuantity\n    subtotal { amount currencyCode }\n    lines {\n      id\n      quantity\n      unitPrice { amount currencyCode }\n      total { amount currencyCode }\n      product { id slug name featuredImage { id url(width: 96) altText } }\n      variant { id title availableQuantity inStock image { id url(width: 96) altText } }\n    }\n  }\n"): (typeof documents)["\n  fragment CartFields on Cart {\n    id\n    totalQuantity\n    subtotal { amount currencyCode }\n    lines {\n      id\n      quantity\n      unitPrice { amount currencyCode }\n      total { amount currencyCode }\n      product { id slug name featuredImage { id url(width: 96) altText } }\n      variant { id title availableQuantity inStock image { id url(width: 96) altText } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CartPage($id: ID!) {\n    cart(id: $id) { ...CartFields }\n  }\n"): (typeof documents)["\n  query CartPage($id: ID!) {\n    cart(id: $id) { ...CartFields }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CartLinesUpdate($cartId: ID!, $lines: [CartLineUpdateInput!]!) {\n    cartLinesUpdate(cartId: $cartId, lines: $lines) {\n      cart { ...CartFields }\n      userErrors { field message code }\n    }\n  }\n"): (typeof documents)["\n  mutation CartLinesUpdate($cartId: ID!, $lines: [CartLineUpdateInput!]!) {\n    cartLinesUpdate(cartId: $cartId, lines: $lines) {\n      cart { ...CartFields }\n      userErrors { field message code }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CartLinesRemove($cartId: ID!, $lineIds: [ID!]!) {\n    cartLinesRemove(cartId: $cartId, lineIds: $lineIds) {\n      cart { ...CartFields }\n      userErrors { field message code }\n    }\n  }\n"): (typeof documents)["\n  mutation CartLinesRemove($cartId: ID!, $lineIds: [ID!]!) {\n    cartLinesRemove(cartId: $cartId, lineIds: $lineIds) {\n      cart { ...CartFields }\n      userErrors { field message code }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CheckoutCart($id: ID!) {\n    cart(id: $id) {\n      id\n      totalQuantity\n      subtotal { amount currencyCode }\n      lines { id quantity product { id name } variant { id title } total { amount currencyCode } }\n    }\n    me { id name email }\n  }\n"): (typeof documents)["\n  query CheckoutCart($id: ID!) {\n    cart(id: $id) {\n      id\n      totalQuantity\n      subtotal { amount currencyCode }\n      lines { id quantity product { id name } variant { id title } total { amount currencyCode } }\n    }\n    me { id name email }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Checkout($input: CheckoutInput!) {\n    checkout(input: $input) {\n      order { id number status statusHistory { sequence status note } }\n      userErrors { field message code }\n    }\n  }\n"): (typeof documents)["\n  mutation Checkout($input: CheckoutInput!) {\n    checkout(input: $input) {\n      order { id number status statusHistory { sequence status note } }\n      userErrors { field message code }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query HomePage {\n    categories {\n      id\n      slug\n      name\n      children { id slug name }\n    }\n    products(first: 8, sort: { key: BEST_SELLING }) {\n      nodes { ...ProductCard }\n    }\n  }\n"): (typeof documents)["\n  query HomePage {\n    categories {\n      id\n      slug\n      name\n      children { id slug name }\n    }\n    products(first: 8, sort: { key: BEST_SELLING }) {\n      nodes { ...ProductCard }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment CategoryMenu on Category {\n    id\n    slug\n    name\n    children { id slug name children { id slug name } }\n  }\n"): (typeof documents)["\n  fragment CategoryMenu on Category {\n    id\n    slug\n    name\n    children { id slug name children { id slug name } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ListingFacet on ProductFacet {\n    kind\n    name\n    type\n    min\n    max\n    values { value label count }\n  }\n"): (typeof documents)["\n  fragment ListingFacet on ProductFacet {\n    kind\n    name\n    type\n    min\n    max\n    values { value label count }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CategoryListing($slug: String!, $filter: ProductFilter, $sort: ProductSort, $first: Int!, $after: String) {\n    category(slug: $slug) {\n      id\n      name\n      description\n      parent { id slug name }\n      products(first: $first, after: $after, filter: $filter, sort: $sort) {\n        totalCount\n        pageInfo { hasNextPage endCursor }\n        nodes { ...ProductCard }\n        facets { ...ListingFacet }\n      }\n    }\n    categories { ...CategoryMenu }\n  }\n"): (typeof documents)["\n  query CategoryListing($slug: String!, $filter: ProductFilter, $sort: ProductSort, $first: Int!, $after: String) {\n    category(slug: $slug) {\n      id\n      name\n      description\n      parent { id slug name }\n      products(first: $first, after: $after, filter: $filter, sort: $sort) {\n        totalCount\n        pageInfo { hasNextPage endCursor }\n        nodes { ...ProductCard }\n        facets { ...ListingFacet }\n      }\n    }\n    categories { ...CategoryMenu }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SearchProducts($filter: ProductFilter, $sort: ProductSort, $first: Int!, $after: String) {\n    products(first: $first, after: $after, filter: $filter, sort: $sort) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      nodes { ...ProductCard }\n      facets { ...ListingFacet }\n    }\n    categories { ...CategoryMenu }\n  }\n"): (typeof documents)["\n  query SearchProducts($filter: ProductFilter, $sort: ProductSort, $first: Int!, $after: String) {\n    products(first: $first, after: $after, filter: $filter, sort: $sort) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      nodes { ...ProductCard }\n      facets { ...ListingFacet }\n    }\n    categories { ...CategoryMenu }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment OrderStep on OrderStatusEvent {\n    sequence\n    status\n    previousStatus\n    at\n    note\n    shipment { carrier trackingNumber }\n  }\n"): (typeof documents)["\n  fragment OrderStep on OrderStatusEvent {\n    sequence\n    status\n    previousStatus\n    at\n    note\n    shipment { carrier trackingNumber }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query OrderPage($id: ID!) {\n    order(id: $id) {\n      id\n      number\n      status\n      createdAt\n      email\n      paymentMethod\n      subtotal { amount currencyCode }\n      total { amount currencyCode }\n      refundedAmount { amount currencyCode }\n      shippingAddress { name line1 line2 city region postalCode country }\n      lines {\n        name\n        variantTitle\n        quantity\n        unitPrice { amount currencyCode }\n        total { amount currencyCode }\n        product { id slug featuredImage { id url(width: 96) altText } }\n        variant { id image { id url(width: 96) altText } }\n      }\n      statusHistory { ...OrderStep }\n    }\n  }\n"): (typeof documents)["\n  query OrderPage($id: ID!) {\n    order(id: $id) {\n      id\n      number\n      status\n      createdAt\n      email\n      paymentMethod\n      subtotal { amount currencyCode }\n      total { amount currencyCode }\n      refundedAmount { amount currencyCode }\n      shippingAddress { name line1 line2 city region postalCode country }\n      lines {\n        name\n        variantTitle\n        quantity\n        unitPrice { amount currencyCode }\n        total { amount currencyCode }\n        product { id slug featuredImage { id url(width: 96) altText } }\n        variant { id image { id url(width: 96) altText } }\n      }\n      statusHistory { ...OrderStep }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription OrderLive($orderId: ID!, $afterSequence: Int) {\n    orderStatusChanged(orderId: $orderId, afterSequence: $afterSequence) { ...OrderStep }\n  }\n"): (typeof documents)["\n  subscription OrderLive($orderId: ID!, $afterSequence: Int) {\n    orderStatusChanged(orderId: $orderId, afterSequence: $afterSequence) { ...OrderStep }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MyOrders($after: String) {\n    me {\n      id\n      orders(first: 20, after: $after) {\n        totalCount\n        pageInfo { hasNextPage endCursor }\n        nodes { id number status createdAt total { amount currencyCode } }\n      }\n    }\n  }\n"): (typeof documents)["\n  query MyOrders($after: String) {\n    me {\n      id\n      orders(first: 20, after: $after) {\n        totalCount\n        pageInfo { hasNextPage endCursor }\n        nodes { id number status createdAt total { amount currencyCode } }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ProductCard on Product {\n    id\n    slug\n    name\n    price { amount currencyCode }\n    priceRange { maxVariantPrice { amount } }\n    inStock\n    category { id name }\n    featuredImage { id url(width: 320) altText width height }\n    rating { average count }\n  }\n"): (typeof documents)["\n  fragment ProductCard on Product {\n    id\n    slug\n    name\n    price { amount currencyCode }\n    priceRange { maxVariantPrice { amount } }\n    inStock\n    category { id name }\n    featuredImage { id url(width: 320) altText width height }\n    rating { average count }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ProductPage($slug: String!, $reviews: Int!) {\n    product(slug: $slug) {\n      id\n      name\n      category { id slug name parent { id slug name } }\n      ...ProductGallery\n      ...ProductBuyBox\n      ...ProductDetails\n      ...ProductReviews\n    }\n  }\n"): (typeof documents)["\n  query ProductPage($slug: String!, $reviews: Int!) {\n    product(slug: $slug) {\n      id\n      name\n      category { id slug name parent { id slug name } }\n      ...ProductGallery\n      ...ProductBuyBox\n      ...ProductDetails\n      ...ProductReviews\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ProductGallery on Product {\n    images { id url(width: 720) thumb: url(width: 128) altText width height }\n  }\n"): (typeof documents)["\n  fragment ProductGallery on Product {\n    images { id url(width: 720) thumb: url(width: 128) altText width height }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ProductBuyBox on Product {\n    id\n    name\n    brand { id slug name }\n    rating { average count }\n    options { name values }\n    variants {\n      id\n      title\n      sku\n      selectedOptions { name value }\n      price { amount currencyCode }\n      compareAtPrice { amount currencyCode }\n      availableQuantity\n      inStock\n      image { id }\n    }\n  }\n"): (typeof documents)["\n  fragment ProductBuyBox on Product {\n    id\n    name\n    brand { id slug name }\n    rating { average count }\n    options { name values }\n    variants {\n      id\n      title\n      sku\n      selectedOptions { name value }\n      price { amount currencyCode }\n      compareAtPrice { amount currencyCode }\n      availableQuantity\n      inStock\n      image { id }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ProductDetails on Product {\n    description\n    createdAt\n    attributes { name type value }\n  }\n"): (typeof documents)["\n  fragment ProductDetails on Product {\n    description\n    createdAt\n    attributes { name type value }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ProductReview on Review {\n    id\n    authorName\n    rating\n    title\n    body\n    createdAt\n    viewerIsAuthor\n  }\n"): (typeof documents)["\n  fragment ProductReview on Review {\n    id\n    authorName\n    rating\n    title\n    body\n    createdAt\n    viewerIsAuthor\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ProductReviews on Product {\n    id\n    reviews(first: $reviews) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      nodes { ...ProductReview }\n    }\n  }\n"): (typeof documents)["\n  fragment ProductReviews on Product {\n    id\n    reviews(first: $reviews) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      nodes { ...ProductReview }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ProductMoreReviews($id: ID!, $first: Int!, $after: String!) {\n    product(id: $id) {\n      id\n      reviews(first: $first, after: $after) {\n        pageInfo { hasNextPage endCursor }\n        nodes { ...ProductReview }\n      }\n    }\n  }\n"): (typeof documents)["\n  query ProductMoreReviews($id: ID!, $first: Int!, $after: String!) {\n    product(id: $id) {\n      id\n      reviews(first: $first, after: $after) {\n        pageInfo { hasNextPage endCursor }\n        nodes { ...ProductReview }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ReviewCreate($input: ReviewCreateInput!) {\n    reviewCreate(input: $input) {\n      review { ...ProductReview }\n      userErrors { field message code }\n    }\n  }\n"): (typeof documents)["\n  mutation ReviewCreate($input: ReviewCreateInput!) {\n    reviewCreate(input: $input) {\n      review { ...ProductReview }\n      userErrors { field message code }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CartCreate($lines: [CartLineInput!]) {\n    cartCreate(lines: $lines) {\n      cart { id totalQuantity }\n      userErrors { field message code }\n    }\n  }\n"): (typeof documents)["\n  mutation CartCreate($lines: [CartLineInput!]) {\n    cartCreate(lines: $lines) {\n      cart { id totalQuantity }\n      userErrors { field message code }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CartLinesAdd($cartId: ID!, $lines: [CartLineInput!]!) {\n    cartLinesAdd(cartId: $cartId, lines: $lines) {\n      cart { id totalQuantity }\n      userErrors { field message code }\n    }\n  }\n"): (typeof documents)["\n  mutation CartLinesAdd($cartId: ID!, $lines: [CartLineInput!]!) {\n    cartLinesAdd(cartId: $cartId, lines: $lines) {\n      cart { id totalQuantity }\n      userErrors { field message code }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation StorefrontRefresh($token: String!) {\n    refreshToken(token: $token) {\n      token\n      refreshToken\n      expiresAt\n      user { id email name role }\n      userErrors { code message }\n    }\n  }\n"): (typeof documents)["\n  mutation StorefrontRefresh($token: String!) {\n    refreshToken(token: $token) {\n      token\n      refreshToken\n      expiresAt\n      user { id email name role }\n      userErrors { code message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CartCount($id: ID!) {\n    cart(id: $id) { id totalQuantity }\n  }\n"): (typeof documents)["\n  query CartCount($id: ID!) {\n    cart(id: $id) { id totalQuantity }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation TrackEvents($events: [TrackEventInput!]!) {\n    trackEvents(events: $events) { accepted userErrors { code message } }\n  }\n"): (typeof documents)["\n  mutation TrackEvents($events: [TrackEventInput!]!) {\n    trackEvents(events: $events) { accepted userErrors { code message } }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;