// The dashboard: headline figures, revenue over time, orders by status, top products,
// the conversion funnel and user growth, over a chosen range, in one request. It asks
// again every 30 seconds (the server caches answers for a few seconds).
import { useEffect, useRef, useState } from 'preact/hooks';
import { useQuery } from '@urql/preact';
import { graphql } from './gql';
import { money, statusLabel } from '../shared/format';
import { FormError, Loading } from '../shared/ui';
import { Chart } from './Chart';

const DashboardDoc = graphql(`
  query AdminDashboard(
    $range: DateRangeInput!
    $timezone: String
    $granularity: Granularity!
    $g0: DateRangeInput!
    $g1: DateRangeInput!
    $g2: DateRangeInput!
    $g3: DateRangeInput!
    $g4: DateRangeInput!
    $g5: DateRangeInput!
  ) {
    dashboard(range: $range, timezone: $timezone) {
      asOf
      timezone
      summary {
        revenue { amount currencyCode }
        orders
        averageOrderValue { amount currencyCode }
        newUsers
      }
      revenueSeries(granularity: $granularity) { bucket revenue { amount currencyCode } orders }
      ordersByStatus { status count }
      revenueByPaymentMethod { paymentMethod revenue { amount currencyCode } orders }
      topProducts(limit: 8, by: REVENUE) { product { id name } units revenue { amount currencyCode } }
      conversionFunnel { steps { name sessions rate } }
    }
    g0: dashboard(range: $g0, timezone: $timezone) { summary { newUsers } }
    g1: dashboard(range: $g1, timezone: $timezone) { summary { newUsers } }
    g2: dashboard(range: $g2, timezone: $timezone) { summary { newUsers } }
    g3: dashboard(range: $g3, timezone: $timezone) { summary { newUsers } }
    g4: dashboard(range: $g4, timezone: $timezone) { summary { newUsers } }
    g5: dashboard(range: $g5, timezone: $timezone) { summary { newUsers } }
  }
`);

const ranges = [
  { value: '1', label: 'Last 24 hours' },
  { value: '7', label: 'Last 7 days' },
  { value: '30', label: 'Last 30 days' },
  { value: '90', label: 'Last 90 days' },
];

const DAY = 86_400_000;

function rangeOf(days: number, now: number) {
  // Round up to the next hour so that a refresh within the hour asks the same range.
  const to = Math.ceil((now + 1) / 3_600_000) * 3_600_000;
  return { from: new Date(to - days * DAY).toISOString(), to: new Date(to).toISOString() };
}

export function Dashboard({ query }: { query: URLSearchParams }) {
  const [days, setDays] = useState(Number(query.get('days') ?? 30));
  const every = Math.max(2, Number(query.get('every') ?? 30)) * 1000;
  const [now, setNow] = useState(Date.now());
  const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const range = rangeOf(days, now);
  const from = Date.parse(range.from);
  const step = (Date.parse(range.to) - from) / 6;
  const g = (i: number) => ({ from: new Date(from + i * step).toISOString(), to: new Date(from + (i + 1) * step).toISOString() });
  const [{ data, fetching, error }, refetch] = useQuery({
    query: DashboardDoc,
    variables: { range, timezone, granularity: days <= 2 ? 'HOUR' : 'DAY', g0: g(0), g1: g(1), g2: g(2), g3: g(3), g4: g(4), g5: g(5) },
  });
  const latest = useRef(refetch);
  latest.current = refetch;
  useEffect(() => {
    const t = setInterval(() => {
      setNow(Date.now());
      latest.current({ requestPolicy: 'network-only' });
    }, every);
    return () => clearInterval(t);
  }, [every]);

  const d = data?.dashboard;
  const fmtBucket = (iso: string) =>
    new Date(iso).toLocaleString(undefined, days <= 2 ? { hour: '2-digit', minute: '2-digit' } : { month: 'short', day: 'numeric' });
  const growth = data ? [data.g0, data.g1, data.g2, data.g3, data.g4, data.g5].map((x) => x.summary?.newUsers ?? 0) : [];
  return (
    <>
      <div class="row">
        <h1>Dashboard</h1>
        <div class="field" style="flex: 0 0 14rem; margin-left: auto">
          <label for="f-range">Range</label>
          <select id="f-range" value={String(days)} onChange={(e) => setDays(Number(e.currentTarget.value))}>
            {ranges.map((r) => (
              <option key={r.value} value={r.value}>
                {r.label}
              </option>
            ))}
          </select>
        </div>
        <div class="field" style="flex: 0 0 auto">
          <button type="button" class="secondary" onClick={() => { setNow(Date.now()); refetch({ requestPolicy: 'network-only' }); }}>
            Refresh
          </button>
        </div>
      </div>
      {!data && fetching && <Loading />}
      <FormError error={data ? null : error} />
      {error && data && <p class="form-error">Some figures are unavailable right now: {error.graphQLErrors.map((e) => e.message).join('; ')}</p>}
      {d && (
        <>
          <p class="muted" aria-live="polite" data-asof={d.asOf}>
            Figures as of {new Date(d.asOf).toLocaleTimeString()} ({d.timezone}); refreshing every {every / 1000} s.
          </p>
          {d.summary && (
            <div class="cards" aria-label="Summary">
              <div class="kpi">
                <div class="muted">Revenue</div>
                <div class="value" data-kpi="revenue">{money(d.summary.revenue)}</div>
              </div>
              <div class="kpi">
                <div class="muted">Orders</div>
                <div class="value" data-kpi="orders">{d.summary.orders}</div>
              </div>
              <div class="kpi">
                <div class="muted">Average order</div>
                <div class="value">{money(d.summary.averageOrderValue)}</div>
              </div>
              <div class="kpi">
                <div class="muted">New customers</div>
                <div class="value" data-kpi="new-users">{d.summary.newUsers}</div>
              </div>
            </div>
          )}
          <div class="charts">
            {d.revenueSeries && (
              <Chart
                id="revenue"
                title="Revenue"
                kind="line"
                labels={d.revenueSeries.map((p) => fmtBucket(p.bucket))}
                series={[{ label: 'Revenue', values: d.revenueSeries.map((p) => Number(p.revenue.amount)), color: '#0b4fb3' }]}
              />
            )}
            {d.revenueSeries && (
              <Chart
                id="orders"
                title="Paid orders"
                kind="bar"
                labels={d.revenueSeries.map((p) => fmtBucket(p.bucket))}
                series={[{ label: 'Orders', values: d.revenueSeries.map((p) => p.orders), color: '#136c2e' }]}
              />
            )}
            {d.conversionFunnel && (
              <Chart
                id="funnel"
                title="Conversion funnel (sessions)"
                kind="bar"
                horizontal
                labels={d.conversionFunnel.steps.map((s) => `${statusLabel(s.name).replace(/_/g, ' ')} (${(s.rate * 100).toFixed(1)}%)`)}
                series={[{ label: 'Sessions', values: d.conversionFunnel.steps.map((s) => s.sessions), color: '#6a3fb5' }]}
              />
            )}
            {d.topProducts && (
              <Chart
                id="top-products"
                title="Top products by revenue"
                kind="bar"
                horizontal
                labels={d.topProducts.map((t) => t.product.name)}
                series={[{ label: 'Revenue', values: d.topProducts.map((t) => Number(t.revenue.amount)), color: '#8a4b00' }]}
              />
            )}
            {d.ordersByStatus && (
              <Chart
                id="status"
                title="Orders placed in the range, by status now"
                kind="bar"
                labels={d.ordersByStatus.map((s) => statusLabel(s.status))}
                series={[{ label: 'Orders', values: d.ordersByStatus.map((s) => s.count), color: '#0b4fb3' }]}
              />
            )}
            <Chart
              id="growth"
              title="New customers"
              kind="bar"
              labels={[0, 1, 2, 3, 4, 5].map((i) => fmtBucket(g(i).from))}
              series={[{ label: 'New customers', values: growth, color: '#136c2e' }]}
            />
          </div>
          {d.revenueByPaymentMethod && (
            <>
              <h2>Revenue by payment method</h2>
              <table class="responsive">
                <thead>
                  <tr>
                    <th>Method</th>
                    <th class="num">Orders</th>
                    <th class="num">Revenue</th>
                  </tr>
                </thead>
                <tbody>
                  {d.revenueByPaymentMethod.map((m) => (
                    <tr key={m.paymentMethod}>
                      <td data-label="Method">{m.paymentMethod}</td>
                      <td data-label="Orders" class="num">{m.orders}</td>
                      <td data-label="Revenue" class="num">{money(m.revenue)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </>
      )}
    </>
  );
}
