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
    "\n  query AdminDashboard(\n    $range: DateRangeInput!\n    $timezone: String\n    $granularity: Granularity!\n    $g0: DateRangeInput!\n    $g1: DateRangeInput!\n    $g2: DateRangeInput!\n    $g3: DateRangeInput!\n    $g4: DateRangeInput!\n    $g5: DateRangeInput!\n  ) {\n    dashboard(range: $range, timezone: $timezone) {\n      asOf\n      timezone\n      summary {\n        revenue { amount currencyCode }\n        orders\n        averageOrderValue { amount currencyCode }\n        newUsers\n      }\n      revenueSeries(granularity: $granularity) { bucket revenue { amount currencyCode } orders }\n      ordersByStatus { status count }\n      revenueByPaymentMethod { paymentMethod revenue { amount currencyCode } orders }\n      topProducts(limit: 8, by: REVENUE) { product { id name } units revenue { amount currencyCode } }\n      conversionFunnel { steps { name sessions rate } }\n    }\n    g0: dashboard(range: $g0, timezone: $timezone) { summary { newUsers } }\n    g1: dashboard(range: $g1, timezone: $timezone) { summary { newUsers } }\n    g2: dashboard(range: $g2, timezone: $timezone) { summary { newUsers } }\n    g3: dashboard(range: $g3, timezone: $timezone) { summary { newUsers } }\n    g4: dashboard(range: $g4, timezone: $timezone) { summary { newUsers } }\n    g5: dashboard(range: $g5, timezone: $timezone) { summary { newUsers } }\n  }\n": typeof types.AdminDashboardDocument,
    "\n  query AdminOrders($filter: OrderFilter, $after: String) {\n    orders(first: 25, after: $after, filter: $filter) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      nodes { id number status email createdAt total { amount currencyCode } }\n    }\n  }\n": typeof types.AdminOrdersDocument,
    "\n  fragment AdminOrder on Order {\n    id\n    number\n    status\n    email\n    createdAt\n    paymentMethod\n    total { amount currencyCode }\n    refundedAmount { amount currencyCode }\n    customer { id name email }\n    shipment { carrier trackingNumber }\n    shippingAddress { name line1 line2 city region postalCode country phone }\n    lines { name quantity unitPrice { amount currencyCode } total { amount currencyCode } product { id } }\n    statusHistory { sequence status previousStatus at note shipment { carrier trackingNumber } }\n  }\n": typeof types.AdminOrderFragmentDoc,
    "\n  query AdminOrder($id: ID!) {\n    order(id: $id) { ...AdminOrder }\n  }\n": typeof types.AdminOrderDocument,
    "\n  mutation AdminOrderShip($orderId: ID!, $carrier: String!, $trackingNumber: String!) {\n    orderShip(orderId: $orderId, carrier: $carrier, trackingNumber: $trackingNumber) {\n      order { ...AdminOrder }\n      userErrors { field message code }\n    }\n  }\n": typeof types.AdminOrderShipDocument,
    "\n  mutation AdminOrderDeliver($orderId: ID!) {\n    orderDeliver(orderId: $orderId) {\n      order { ...AdminOrder }\n      userErrors { field message code }\n    }\n  }\n": typeof types.AdminOrderDeliverDocument,
    "\n  mutation AdminOrderCancel($orderId: ID!, $reason: String!) {\n    orderCancel(orderId: $orderId, reason: $reason) {\n      order { ...AdminOrder }\n      userErrors { field message code }\n    }\n  }\n": typeof types.AdminOrderCancelDocument,
    "\n  mutation AdminOrderReturn($orderId: ID!, $reason: String!, $refundAmount: Decimal) {\n    orderReturn(orderId: $orderId, reason: $reason, refundAmount: $refundAmount) {\n      order { ...AdminOrder }\n      userErrors { field message code }\n    }\n  }\n": typeof types.AdminOrderReturnDocument,
    "\n  query AdminProducts($query: String, $after: String) {\n    products(first: 25, after: $after, filter: { query: $query }, sort: { key: ID, reverse: true }) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      nodes { id slug name price { amount currencyCode } availableQuantity category { id name } }\n    }\n    lowStockProducts(threshold: 5, first: 10) {\n      nodes { id name availableQuantity }\n    }\n  }\n": typeof types.AdminProductsDocument,
    "\n  query AdminProduct($id: ID!) {\n    product(id: $id) {\n      id\n      slug\n      name\n      description\n      price { amount currencyCode }\n      availableQuantity\n      category { id }\n      options { name values }\n      variants { ...AdminVariant }\n      rating { average count }\n      reviews(first: 50) {\n        totalCount\n        nodes { ...AdminReview }\n      }\n    }\n    categories { ...AdminCategoryOptions }\n  }\n": typeof types.AdminProductDocument,
    "\n  fragment AdminVariant on ProductVariant {\n    id\n    title\n    sku\n    selectedOptions { name value }\n    price { amount currencyCode }\n    compareAtPrice { amount currencyCode }\n    availableQuantity\n  }\n": typeof types.AdminVariantFragmentDoc,
    "\n  fragment AdminReview on Review {\n    id\n    authorName\n    rating\n    title\n    body\n    hidden\n    createdAt\n  }\n": typeof types.AdminReviewFragmentDoc,
    "\n  fragment AdminVariantsPayload on ProductVariantsPayload {\n    product { id availableQuantity variants { ...AdminVariant } }\n    variants { id title }\n    userErrors { field message code }\n  }\n": typeof types.AdminVariantsPayloadFragmentDoc,
    "\n  mutation AdminVariantsUpdate($productId: ID!, $variants: [ProductVariantUpdateInput!]!) {\n    productVariantsUpdate(productId: $productId, variants: $variants) { ...AdminVariantsPayload }\n  }\n": typeof types.AdminVariantsUpdateDocument,
    "\n  mutation AdminVariantsCreate($productId: ID!, $variants: [ProductVariantInput!]!) {\n    productVariantsCreate(productId: $productId, variants: $variants) { ...AdminVariantsPayload }\n  }\n": typeof types.AdminVariantsCreateDocument,
    "\n  mutation AdminReviewHide($id: ID!, $hidden: Boolean!) {\n    reviewHide(id: $id, hidden: $hidden) {\n      review { ...AdminReview }\n      userErrors { field message code }\n    }\n  }\n": typeof types.AdminReviewHideDocument,
    "\n  query AdminCategories {\n    categories { ...AdminCategoryOptions }\n  }\n": typeof types.AdminCategoriesDocument,
    "\n  fragment AdminCategoryOptions on Category {\n    id\n    name\n    children { id name children { id name } }\n  }\n": typeof types.AdminCategoryOptionsFragmentDoc,
    "\n  fragment AdminProductPayload on ProductPayload {\n    product { id slug name description price { amount currencyCode } availableQuantity category { id } }\n    userErrors { field message code }\n  }\n": typeof types.AdminProductPayloadFragmentDoc,
    "\n  mutation AdminProductUpdate($id: ID!, $input: ProductUpdateInput!) {\n    productUpdate(id: $id, input: $input) { ...AdminProductPayload }\n  }\n": typeof types.AdminProductUpdateDocument,
    "\n  mutation AdminProductCreate($input: ProductCreateInput!) {\n    productCreate(input: $input) { ...AdminProductPayload }\n  }\n": typeof types.AdminProductCreateDocument,
    "\n  mutation AdminInventoryAdjust($productId: ID!, $variantId: ID, $delta: Int!, $reason: String!) {\n    inventoryAdjust(productId: $productId, variantId: $variantId, delta: $delta, reason: $reason) {\n      product { id availableQuantity variants { ...AdminVariant } }\n      userErrors { field message code }\n    }\n  }\n": typeof types.AdminInventoryAdjustDocument,
    "\n  mutation AdminLogin($input: LoginInput!) {\n    login(input: $input) {\n      token\n      refreshToken\n      expiresAt\n      user { id email name role }\n      userErrors { field message code }\n    }\n  }\n": typeof types.AdminLoginDocument,
    "\n  mutation AdminLogout {\n    logout\n  }\n": typeof types.AdminLogoutDocument,
    "\n  mutation AdminRefresh($token: String!) {\n    refreshToken(token: $token) {\n      token\n      refreshToken\n      expiresAt\n      user { id email name role }\n      userErrors { code message }\n    }\n  }\n": typeof types.AdminRefreshDocument,
};
const documents: Documents = {
    "\n  query AdminDashboard(\n    $range: DateRangeInput!\n    $timezone: String\n    $granularity: Granularity!\n    $g0: DateRangeInput!\n    $g1: DateRangeInput!\n    $g2: DateRangeInput!\n    $g3: DateRangeInput!\n    $g4: DateRangeInput!\n    $g5: DateRangeInput!\n  ) {\n    dashboard(range: $range, timezone: $timezone) {\n      asOf\n      timezone\n      summary {\n        revenue { amount currencyCode }\n        orders\n        averageOrderValue { amount currencyCode }\n        newUsers\n      }\n      revenueSeries(granularity: $granularity) { bucket revenue { amount currencyCode } orders }\n      ordersByStatus { status count }\n      revenueByPaymentMethod { paymentMethod revenue { amount currencyCode } orders }\n      topProducts(limit: 8, by: REVENUE) { product { id name } units revenue { amount currencyCode } }\n      conversionFunnel { steps { name sessions rate } }\n    }\n    g0: dashboard(range: $g0, timezone: $timezone) { summary { newUsers } }\n    g1: dashboard(range: $g1, timezone: $timezone) { summary { newUsers } }\n    g2: dashboard(range: $g2, timezone: $timezone) { summary { newUsers } }\n    g3: dashboard(range: $g3, timezone: $timezone) { summary { newUsers } }\n    g4: dashboard(range: $g4, timezone: $timezone) { summary { newUsers } }\n    g5: dashboard(range: $g5, timezone: $timezone) { summary { newUsers } }\n  }\n": types.AdminDashboardDocument,
    "\n  query AdminOrders($filter: OrderFilter, $after: String) {\n    orders(first: 25, after: $after, filter: $filter) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      nodes { id number status email createdAt total { amount currencyCode } }\n    }\n  }\n": types.AdminOrdersDocument,
    "\n  fragment AdminOrder on Order {\n    id\n    number\n    status\n    email\n    createdAt\n    paymentMethod\n    total { amount currencyCode }\n    refundedAmount { amount currencyCode }\n    customer { id name email }\n    shipment { carrier trackingNumber }\n    shippingAddress { name line1 line2 city region postalCode country phone }\n    lines { name quantity unitPrice { amount currencyCode } total { amount currencyCode } product { id } }\n    statusHistory { sequence status previousStatus at note shipment { carrier trackingNumber } }\n  }\n": types.AdminOrderFragmentDoc,
    "\n  query AdminOrder($id: ID!) {\n    order(id: $id) { ...AdminOrder }\n  }\n": types.AdminOrderDocument,
    "\n  mutation AdminOrderShip($orderId: ID!, $carrier: String!, $trackingNumber: String!) {\n    orderShip(orderId: $orderId, carrier: $carrier, trackingNumber: $trackingNumber) {\n      order { ...AdminOrder }\n      userErrors { field message code }\n    }\n  }\n": types.AdminOrderShipDocument,
    "\n  mutation AdminOrderDeliver($orderId: ID!) {\n    orderDeliver(orderId: $orderId) {\n      order { ...AdminOrder }\n      userErrors { field message code }\n    }\n  }\n": types.AdminOrderDeliverDocument,
    "\n  mutation AdminOrderCancel($orderId: ID!, $reason: String!) {\n    orderCancel(orderId: $orderId, reason: $reason) {\n      order { ...AdminOrder }\n      userErrors { field message code }\n    }\n  }\n": types.AdminOrderCancelDocument,
    "\n  mutation AdminOrderReturn($orderId: ID!, $reason: String!, $refundAmount: Decimal) {\n    orderReturn(orderId: $orderId, reason: $reason, refundAmount: $refundAmount) {\n      order { ...AdminOrder }\n      userErrors { field message code }\n    }\n  }\n": types.AdminOrderReturnDocument,
    "\n  query AdminProducts($query: String, $after: String) {\n    products(first: 25, after: $after, filter: { query: $query }, sort: { key: ID, reverse: true }) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      nodes { id slug name price { amount currencyCode } availableQuantity category { id name } }\n    }\n    lowStockProducts(threshold: 5, first: 10) {\n      nodes { id name availableQuantity }\n    }\n  }\n": types.AdminProductsDocument,
    "\n  query AdminProduct($id: ID!) {\n    product(id: $id) {\n      id\n      slug\n      name\n      description\n      price { amount currencyCode }\n      availableQuantity\n      category { id }\n      options { name values }\n      variants { ...AdminVariant }\n      rating { average count }\n      reviews(first: 50) {\n        totalCount\n        nodes { ...AdminReview }\n      }\n    }\n    categories { ...AdminCategoryOptions }\n  }\n": types.AdminProductDocument,
    "\n  fragment AdminVariant on ProductVariant {\n    id\n    title\n    sku\n    selectedOptions { name value }\n    price { amount currencyCode }\n    compareAtPrice { amount currencyCode }\n    availableQuantity\n  }\n": types.AdminVariantFragmentDoc,
    "\n  fragment AdminReview on Review {\n    id\n    authorName\n    rating\n    title\n    body\n    hidden\n    createdAt\n  }\n": types.AdminReviewFragmentDoc,
    "\n  fragment AdminVariantsPayload on ProductVariantsPayload {\n    product { id availableQuantity variants { ...AdminVariant } }\n    variants { id title }\n    userErrors { field message code }\n  }\n": types.AdminVariantsPayloadFragmentDoc,
    "\n  mutation AdminVariantsUpdate($productId: ID!, $variants: [ProductVariantUpdateInput!]!) {\n    productVariantsUpdate(productId: $productId, variants: $variants) { ...AdminVariantsPayload }\n  }\n": types.AdminVariantsUpdateDocument,
    "\n  mutation AdminVariantsCreate($productId: ID!, $variants: [ProductVariantInput!]!) {\n    productVariantsCreate(productId: $productId, variants: $variants) { ...AdminVariantsPayload }\n  }\n": types.AdminVariantsCreateDocument,
    "\n  mutation AdminReviewHide($id: ID!, $hidden: Boolean!) {\n    reviewHide(id: $id, hidden: $hidden) {\n      review { ...AdminReview }\n      userErrors { field message code }\n    }\n  }\n": types.AdminReviewHideDocument,
    "\n  query AdminCategories {\n    categories { ...AdminCategoryOptions }\n  }\n": types.AdminCategoriesDocument,
    "\n  fragment AdminCategoryOptions on Category {\n    id\n    name\n    children { id name children { id name } }\n  }\n": types.AdminCategoryOptionsFragmentDoc,
    "\n  fragment AdminProductPayload on ProductPayload {\n    product { id slug name description price { amount currencyCode } availableQuantity category { id } }\n    userErrors { field message code }\n  }\n": types.AdminProductPayloadFragmentDoc,
    "\n  mutation AdminProductUpdate($id: ID!, $input: ProductUpdateInput!) {\n    productUpdate(id: $id, input: $input) { ...AdminProductPayload }\n  }\n": types.AdminProductUpdateDocument,
    "\n  mutation AdminProductCreate($input: ProductCreateInput!) {\n    productCreate(input: $input) { ...AdminProductPayload }\n  }\n": types.AdminProductCreateDocument,
    "\n  mutation AdminInventoryAdjust($productId: ID!, $variantId: ID, $delta: Int!, $reason: String!) {\n    inventoryAdjust(productId: $productId, variantId: $variantId, delta: $delta, reason: $reason) {\n      product { id availableQuantity variants { ...AdminVariant } }\n      userErrors { field message code }\n    }\n  }\n": types.AdminInventoryAdjustDocument,
    "\n  mutation AdminLogin($input: LoginInput!) {\n    login(input: $input) {\n      token\n      refreshToken\n      expiresAt\n      user { id email name role }\n      userErrors { field message code }\n    }\n  }\n": types.AdminLoginDocument,
    "\n  mutation AdminLogout {\n    logout\n  }\n": types.AdminLogoutDocument,
    "\n  mutation AdminRefresh($token: String!) {\n    refreshToken(token: $token) {\n      token\n      refreshToken\n      expiresAt\n      user { id email name role }\n      userErrors { code message }\n    }\n  }\n": types.AdminRefreshDocument,
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
export function graphql(source: "\n  query AdminDashboard(\n    $range: DateRangeInput!\n    $timezone: String\n    $granularity: Granularity!\n    $g0: DateRangeInput!\n    $g1: DateRangeInput!\n    $g2: DateRangeInput!\n    $g3: DateRangeInput!\n    $g4: DateRangeInput!\n    $g5: DateRangeInput!\n  ) {\n    dashboard(range: $range, timezone: $timezone) {\n      asOf\n      timezone\n      summary {\n        revenue { amount currencyCode }\n        orders\n        averageOrderValue { amount currencyCode }\n        newUsers\n      }\n      revenueSeries(granularity: $granularity) { bucket revenue { amount currencyCode } orders }\n      ordersByStatus { status count }\n      revenueByPaymentMethod { paymentMethod revenue { amount currencyCode } orders }\n      topProducts(limit: 8, by: REVENUE) { product { id name } units revenue { amount currencyCode } }\n      conversionFunnel { steps { name sessions rate } }\n    }\n    g0: dashboard(range: $g0, timezone: $timezone) { summary { newUsers } }\n    g1: dashboard(range: $g1, timezone: $timezone) { summary { newUsers } }\n    g2: dashboard(range: $g2, timezone: $timezone) { summary { newUsers } }\n    g3: dashboard(range: $g3, timezone: $timezone) { summary { newUsers } }\n    g4: dashboard(range: $g4, timezone: $timezone) { summary { newUsers } }\n    g5: dashboard(range: $g5, timezone: $timezone) { summary { newUsers } }\n  }\n"): (typeof documents)["\n  query AdminDashboard(\n    $range: DateRangeInput!\n    $timezone: String\n    $granularity: Granularity!\n    $g0: DateRangeInput!\n    $g1: DateRangeInput!\n    $g2: DateRangeInput!\n    $g3: DateRangeInput!\n    $g4: DateRangeInput!\n    $g5: DateRangeInput!\n  ) {\n    dashboard(range: $range, timezone: $timezone) {\n      asOf\n      timezone\n      summary {\n        revenue { amount currencyCode }\n        orders\n        averageOrderValue { amount currencyCode }\n        newUsers\n      }\n      revenueSeries(granularity: $granularity) { bucket revenue { amount currencyCode } orders }\n      ordersByStatus { status count }\n      revenueByPaymentMethod { paymentMethod revenue { amount currencyCode } orders }\n      topProducts(limit: 8, by: REVENUE) { product { id name } units revenue { amount currencyCode } }\n      conversionFunnel { steps { name sessions rate } }\n    }\n    g0: dashboard(range: $g0, timezone: $timezone) { summary { newUsers } }\n    g1: dashboard(range: $g1, timezone: $timezone) { summary { newUsers } }\n    g2: dashboard(range: $g2, timezone: $timezone) { summary { newUsers } }\n    g3: dashboard(range: $g3, timezone: $timezone) { summary { newUsers } }\n    g4: dashboard(range: $g4, timezone: $timezone) { summary { newUsers } }\n    g5: dashboard(range: $g5, timezone: $timezone) { summary { newUsers } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AdminOrders($filter: OrderFilter, $after: String) {\n    orders(first: 25, after: $after, filter: $filter) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      nodes { id number status email createdAt total { amount currencyCode } }\n    }\n  }\n"): (typeof documents)["\n  query AdminOrders($filter: OrderFilter, $after: String) {\n    orders(first: 25, after: $after, filter: $filter) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      nodes { id number status email createdAt total { amount currencyCode } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment AdminOrder on Order {\n    id\n    number\n    status\n    email\n    createdAt\n    paymentMethod\n    total { amount currencyCode }\n    refundedAmount { amount currencyCode }\n    customer { id name email }\n    shipment { carrier trackingNumber }\n    shippingAddress { name line1 line2 city region postalCode country phone }\n    lines { name quantity unitPrice { amount currencyCode } total { amount currencyCode } product { id } }\n    statusHistory { sequence status previousStatus at note shipment { carrier trackingNumber } }\n  }\n"): (typeof documents)["\n  fragment AdminOrder on Order {\n    id\n    number\n    status\n    email\n    createdAt\n    paymentMethod\n    total { amount currencyCode }\n    refundedAmount { amount currencyCode }\n    customer { id name email }\n    shipment { carrier trackingNumber }\n    shippingAddress { name line1 line2 city region postalCode country phone }\n    lines { name quantity unitPrice { amount currencyCode } total { amount currencyCode } product { id } }\n    statusHistory { sequence status previousStatus at note shipment { carrier trackingNumber } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AdminOrder($id: ID!) {\n    order(id: $id) { ...AdminOrder }\n  }\n"): (typeof documents)["\n  query AdminOrder($id: ID!) {\n    order(id: $id) { ...AdminOrder }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AdminOrderShip($orderId: ID!, $carrier: String!, $trackingNumber: String!) {\n    orderShip(orderId: $orderId, carrier: $carrier, trackingNumber: $trackingNumber) {\n      order { ...AdminOrder }\n      userErrors { field message code }\n    }\n  }\n"): (typeof documents)["\n  mutation AdminOrderShip($orderId: ID!, $carrier: String!, $trackingNumber: String!) {\n    orderShip(orderId: $orderId, carrier: $carrier, trackingNumber: $trackingNumber) {\n      order { ...AdminOrder }\n      userErrors { field message code }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AdminOrderDeliver($orderId: ID!) {\n    orderDeliver(orderId: $orderId) {\n      order { ...AdminOrder }\n      userErrors { field message code }\n    }\n  }\n"): (typeof documents)["\n  mutation AdminOrderDeliver($orderId: ID!) {\n    orderDeliver(orderId: $orderId) {\n      order { ...AdminOrder }\n      userErrors { field message code }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AdminOrderCancel($orderId: ID!, $reason: String!) {\n    orderCancel(orderId: $orderId, reason: $reason) {\n      order { ...AdminOrder }\n      userErrors { field message code }\n    }\n  }\n"): (typeof documents)["\n  mutation AdminOrderCancel($orderId: ID!, $reason: String!) {\n    orderCancel(orderId: $orderId, reason: $reason) {\n      order { ...AdminOrder }\n      userErrors { field message code }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AdminOrderReturn($orderId: ID!, $reason: String!, $refundAmount: Decimal) {\n    orderReturn(orderId: $orderId, reason: $reason, refundAmount: $refundAmount) {\n      order { ...AdminOrder }\n      userErrors { field message code }\n    }\n  }\n"): (typeof documents)["\n  mutation AdminOrderReturn($orderId: ID!, $reason: String!, $refundAmount: Decimal) {\n    orderReturn(orderId: $orderId, reason: $reason, refundAmount: $refundAmount) {\n      order { ...AdminOrder }\n      userErrors { field message code }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AdminProducts($query: String, $after: String) {\n    products(first: 25, after: $after, filter: { query: $query }, sort: { key: ID, reverse: true }) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      nodes { id slug name price { amount currencyCode } availableQuantity category { id name } }\n    }\n    lowStockProducts(threshold: 5, first: 10) {\n      nodes { id name availableQuantity }\n    }\n  }\n"): (typeof documents)["\n  query AdminProducts($query: String, $after: String) {\n    products(first: 25, after: $after, filter: { query: $query }, sort: { key: ID, reverse: true }) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      nodes { id slug name price { amount currencyCode } availableQuantity category { id name } }\n    }\n    lowStockProducts(threshold: 5, first: 10) {\n      nodes { id name availableQuantity }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AdminProduct($id: ID!) {\n    product(id: $id) {\n      id\n      slug\n      name\n      description\n      price { amount currencyCode }\n      availableQuantity\n      category { id }\n      options { name values }\n      variants { ...AdminVariant }\n      rating { average count }\n      reviews(first: 50) {\n        totalCount\n        nodes { ...AdminReview }\n      }\n    }\n    categories { ...AdminCategoryOptions }\n  }\n"): (typeof documents)["\n  query AdminProduct($id: ID!) {\n    product(id: $id) {\n      id\n      slug\n      name\n      description\n      price { amount currencyCode }\n      availableQuantity\n      category { id }\n      options { name values }\n      variants { ...AdminVariant }\n      rating { average count }\n      reviews(first: 50) {\n        totalCount\n        nodes { ...AdminReview }\n      }\n    }\n    categories { ...AdminCategoryOptions }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment AdminVariant on ProductVariant {\n    id\n    title\n    sku\n    selectedOptions { name value }\n    price { amount currencyCode }\n    compareAtPrice { amount currencyCode }\n    availableQuantity\n  }\n"): (typeof documents)["\n  fragment AdminVariant on ProductVariant {\n    id\n    title\n    sku\n    selectedOptions { name value }\n    price { amount currencyCode }\n    compareAtPrice { amount currencyCode }\n    availableQuantity\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment AdminReview on Review {\n    id\n    authorName\n    rating\n    title\n    body\n    hidden\n    createdAt\n  }\n"): (typeof documents)["\n  fragment AdminReview on Review {\n    id\n    authorName\n    rating\n    title\n    body\n    hidden\n    createdAt\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment AdminVariantsPayload on ProductVariantsPayload {\n    product { id availableQuantity variants { ...AdminVariant } }\n    variants { id title }\n    userErrors { field message code }\n  }\n"): (typeof documents)["\n  fragment AdminVariantsPayload on ProductVariantsPayload {\n    product { id availableQuantity variants { ...AdminVariant } }\n    variants { id title }\n    userErrors { field message code }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AdminVariantsUpdate($productId: ID!, $variants: [ProductVariantUpdateInput!]!) {\n    productVariantsUpdate(productId: $productId, variants: $variants) { ...AdminVariantsPayload }\n  }\n"): (typeof documents)["\n  mutation AdminVariantsUpdate($productId: ID!, $variants: [ProductVariantUpdateInput!]!) {\n    productVariantsUpdate(productId: $productId, variants: $variants) { ...AdminVariantsPayload }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AdminVariantsCreate($productId: ID!, $variants: [ProductVariantInput!]!) {\n    productVariantsCreate(productId: $productId, variants: $variants) { ...AdminVariantsPayload }\n  }\n"): (typeof documents)["\n  mutation AdminVariantsCreate($productId: ID!, $variants: [ProductVariantInput!]!) {\n    productVariantsCreate(productId: $productId, variants: $variants) { ...AdminVariantsPayload }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AdminReviewHide($id: ID!, $hidden: Boolean!) {\n    reviewHide(id: $id, hidden: $hidden) {\n      review { ...AdminReview }\n      userErrors { field message code }\n    }\n  }\n"): (typeof documents)["\n  mutation AdminReviewHide($id: ID!, $hidden: Boolean!) {\n    reviewHide(id: $id, hidden: $hidden) {\n      review { ...AdminReview }\n      userErrors { field message code }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AdminCategories {\n    categories { ...AdminCategoryOptions }\n  }\n"): (typeof documents)["\n  query AdminCategories {\n    categories { ...AdminCategoryOptions }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment AdminCategoryOptions on Category {\n    id\n    name\n    children { id name children { id name } }\n  }\n"): (typeof documents)["\n  fragment AdminCategoryOptions on Category {\n    id\n    name\n    children { id name children { id name } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment AdminProductPayload on ProductPayload {\n    product { id slug name description price { amount currencyCode } availableQuantity category { id } }\n    userErrors { field message code }\n  }\n"): (typeof documents)["\n  fragment AdminProductPayload on ProductPayload {\n    product { id slug name description price { amount currencyCode } availableQuantity category { id } }\n    userErrors { field message code }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AdminProductUpdate($id: ID!, $input: ProductUpdateInput!) {\n    productUpdate(id: $id, input: $input) { ...AdminProductPayload }\n  }\n"): (typeof documents)["\n  mutation AdminProductUpdate($id: ID!, $input: ProductUpdateInput!) {\n    productUpdate(id: $id, input: $input) { ...AdminProductPayload }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AdminProductCreate($input: ProductCreateInput!) {\n    productCreate(input: $input) { ...AdminProductPayload }\n  }\n"): (typeof documents)["\n  mutation AdminProductCreate($input: ProductCreateInput!) {\n    productCreate(input: $input) { ...AdminProductPayload }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AdminInventoryAdjust($productId: ID!, $variantId: ID, $delta: Int!, $reason: String!) {\n    inventoryAdjust(productId: $productId, variantId: $variantId, delta: $delta, reason: $reason) {\n      product { id availableQuantity variants { ...AdminVariant } }\n      userErrors { field message code }\n    }\n  }\n"): (typeof documents)["\n  mutation AdminInventoryAdjust($productId: ID!, $variantId: ID, $delta: Int!, $reason: String!) {\n    inventoryAdjust(productId: $productId, variantId: $variantId, delta: $delta, reason: $reason) {\n      product { id availableQuantity variants { ...AdminVariant } }\n      userErrors { field message code }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AdminLogin($input: LoginInput!) {\n    login(input: $input) {\n      token\n      refreshToken\n      expiresAt\n      user { id email name role }\n      userErrors { field message code }\n    }\n  }\n"): (typeof documents)["\n  mutation AdminLogin($input: LoginInput!) {\n    login(input: $input) {\n      token\n      refreshToken\n      expiresAt\n      user { id email name role }\n      userErrors { field message code }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AdminLogout {\n    logout\n  }\n"): (typeof documents)["\n  mutation AdminLogout {\n    logout\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AdminRefresh($token: String!) {\n    refreshToken(token: $token) {\n      token\n      refreshToken\n      expiresAt\n      user { id email name role }\n      userErrors { code message }\n    }\n  }\n"): (typeof documents)["\n  mutation AdminRefresh($token: String!) {\n    refreshToken(token: $token) {\n      token\n      refreshToken\n      expiresAt\n      user { id email name role }\n      userErrors { code message }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;