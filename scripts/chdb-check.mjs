#!/usr/bin/env node
// chdb-check: prove shopgraph's ClickHouse SQL on a current ClickHouse engine.
//
// The Go tests run against the Debian server, ClickHouse 18.16; users run 23 to 26. This
// script runs the same SQL text on the engine the npm package chdb ships in-process
// (chdb 3.4.0: ClickHouse 26.7), without a server:
//
//   1. every migration's Up statements, then every Down and every Up again;
//   2. a check that each rollup view's columns match its target table's exactly;
//   3. sample rows through store/clickhouse/queries/insert_events.sql (with VALUES);
//   4. every other query file, its @name parameters replaced by sample values written
//      the way clickhouse-go's client-side binding writes them, its rows compared with
//      the figures worked out below.
//
// Any error or unexpected figure fails the run (exit 1). A query file without samples
// here fails it too, so a new query cannot skip the check.
//
// chdb (about 550 MB with its engine) is installed once, with npm, into
// ${SHOPGRAPH_CHDB_DIR:-${XDG_CACHE_HOME:-~/.cache}/shopgraph/chdb}, outside the
// checkout; a stamp file marks a complete install, so an interrupted one is redone.
//
// Usage: node scripts/chdb-check.mjs   (make test-chdb)

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const CHDB_VERSION = "3.4.0";
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const MIGRATIONS = path.join(ROOT, "store/clickhouse/migrations");
const QUERIES = path.join(ROOT, "store/clickhouse/queries");
const CACHE =
  process.env.SHOPGRAPH_CHDB_DIR ||
  path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "shopgraph", "chdb");
const STAMP = path.join(CACHE, ".shopgraph-chdb-version");

const started = Date.now();
const log = (msg) => console.log(`chdb-check: ${msg}`);

class CheckError extends Error {}
const fail = (msg) => {
  throw new CheckError(msg);
};

// ------------------------------------------------------------------ chdb itself

function ensureChdb() {
  let stamp = "";
  try {
    stamp = fs.readFileSync(STAMP, "utf8").trim();
  } catch {}
  if (stamp === CHDB_VERSION) return;
  log(`installing chdb@${CHDB_VERSION} into ${CACHE} (once; about 550 MB)`);
  fs.rmSync(CACHE, { recursive: true, force: true });
  fs.mkdirSync(CACHE, { recursive: true });
  fs.writeFileSync(path.join(CACHE, "package.json"), '{"private": true}\n');
  const t0 = Date.now();
  const npm = spawnSync(
    "npm",
    ["install", "--prefix", CACHE, "--no-audit", "--no-fund", "--include=optional", `chdb@${CHDB_VERSION}`],
    { stdio: "inherit" },
  );
  if (npm.error) fail(`cannot run npm: ${npm.error.message}`);
  if (npm.status !== 0) fail(`npm install chdb@${CHDB_VERSION} failed (exit ${npm.status}); see its output above`);
  fs.writeFileSync(STAMP, CHDB_VERSION + "\n");
  log(`installed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

function loadChdb() {
  const require = createRequire(path.join(CACHE, "package.json"));
  try {
    return require("chdb");
  } catch (err) {
    fail(
      `chdb@${CHDB_VERSION} is installed in ${CACHE} but does not load: ${err.message}\n` +
        `(its engine comes in the optional package @chdb/lib-${process.platform}-${process.arch}-*; ` +
        `delete ${CACHE} to reinstall)`,
    );
  }
}

// ------------------------------------------------------------------ SQL text

// stripComments drops -- and # line comments outside string literals and quoted
// identifiers: the engine ignores them, and @name inside them is not a parameter.
function stripComments(sql) {
  let out = "";
  let quote = null;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (quote) {
      out += c;
      if (c === "\\") out += sql[++i] ?? "";
      else if (c === quote) quote = null;
      continue;
    }
    if (c === "'" || c === '"' || c === "`") quote = c;
    if ((c === "-" && sql[i + 1] === "-") || c === "#") {
      while (i < sql.length && sql[i] !== "\n") i++;
      out += "\n";
      continue;
    }
    out += c;
  }
  return out;
}

// bind replaces every @name by params[name], as clickhouse-go's client-side binding does.
function bind(name, sql, params) {
  const used = new Set();
  const bound = stripComments(sql).replace(/@([A-Za-z0-9_]+)/g, (_, p) => {
    if (!(p in params)) fail(`${name}: no sample value for parameter @${p}`);
    used.add(p);
    return params[p];
  });
  for (const p of Object.keys(params)) {
    if (!used.has(p)) fail(`${name}: sample parameter @${p} is not in the query`);
  }
  return bound;
}

// Literals written the way clickhouse-go writes bound values: a time.Time in UTC (the
// server's zone being Etc/UTC) as toDateTime('...', 'UTC'), a string quoted with
// backslash escapes, a clickhouse.GroupSet as a parenthesised list.
const str = (s) => `'${String(s).replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
const dt = (s) => `toDateTime(${str(s)}, 'UTC')`;
const set = (xs) => `(${xs.map(str).join(", ")})`;

// goose splits a migration into statements at lines ending with ";", except between
// "-- +goose StatementBegin" and "-- +goose StatementEnd".
function migrationStatements(file) {
  const text = fs.readFileSync(file, "utf8");
  const sections = { up: [], down: [] };
  let section = null;
  let buf = [];
  let block = false;
  for (const line of text.split("\n")) {
    const t = line.trim();
    if (t.startsWith("-- +goose")) {
      const what = t.slice("-- +goose".length).trim();
      if (what === "Up") section = "up";
      else if (what === "Down") section = "down";
      else if (what === "StatementBegin") block = true;
      else if (what === "StatementEnd") {
        block = false;
        sections[section].push(buf.join("\n"));
        buf = [];
      }
      continue;
    }
    if (!section) continue;
    buf.push(line);
    if (!block && t.endsWith(";") && !t.startsWith("--")) {
      sections[section].push(buf.join("\n"));
      buf = [];
    }
  }
  if (buf.join("").trim() !== "" && stripComments(buf.join("\n")).trim() !== "") {
    fail(`${path.basename(file)}: text after the last statement`);
  }
  return sections;
}

// ------------------------------------------------------------------ sample data

// One day of a small shop, 2024-03-10 UTC; the expectations below are worked out from it.
const COLUMNS = 17;
let nextID = 0;
const rows = [];
function event(type, service, at, fields = {}, lines = []) {
  const id = `00000000-0000-4000-8000-${String(++nextID).padStart(12, "0")}`;
  const r = {
    seq: 0, user: "", session: "", entity: "", amount: 0, revenue: 0, delta: 0,
    currency: "INR", method: "", product: 0, quantity: 0, ms: 0, metadata: "", ...fields,
  };
  const row = (seq, x) =>
    [str(id), seq, str(x.type ?? type), str(service), str(r.user), str(r.session),
      str(r.entity), x.amount, x.revenue, x.delta, str(r.currency), str(r.method), x.product,
      x.quantity, str(at), r.ms, str(r.metadata)];
  rows.push(row(0, { amount: r.amount, revenue: r.revenue, delta: r.delta, product: r.product, quantity: r.quantity }));
  lines.forEach((l, i) => rows.push(row(i + 1, { ...l, delta: 0 })));
  return id;
}
const sold = (product, quantity, unit) =>
  ({ type: "order.line.sold", product, quantity, amount: quantity * unit, revenue: quantity * unit });
const reversed = (product, quantity, unit) =>
  ({ type: "order.line.reversed", product, quantity: -quantity, amount: quantity * unit, revenue: -quantity * unit });
const order = (type, at, id, fields, lines) =>
  event(type, "orders", at, { entity: String(id), user: "7", ...fields }, lines);

// Order 1, card, 10000: paid (products 1: 2 x 3000, 2: 1 x 4000), shipped, delivered.
order("order.created", "2024-03-10 10:00:00", 1, { amount: 10000, method: "CARD", session: "s1" });
const paid1 = order("order.paid", "2024-03-10 10:05:00", 1,
  { amount: 10000, revenue: 10000, delta: 1, method: "CARD", session: "s1", ms: 250 },
  [sold(1, 2, 3000), sold(2, 1, 4000)]);
order("order.shipped", "2024-03-10 12:00:00", 1, { amount: 10000, method: "CARD", session: "s1" });
order("order.delivered", "2024-03-10 14:00:00", 1, { amount: 10000, method: "CARD", session: "s1" });
// Order 2, UPI, 5000: paid (product 3: 5 x 1000), then cancelled.
order("order.created", "2024-03-10 11:00:00", 2, { amount: 5000, method: "UPI", session: "s2" });
order("order.paid", "2024-03-10 11:10:00", 2,
  { amount: 5000, revenue: 5000, delta: 1, method: "UPI", session: "s2" }, [sold(3, 5, 1000)]);
order("order.cancelled", "2024-03-10 11:30:00", 2,
  { amount: 5000, revenue: -5000, delta: -1, method: "UPI", session: "s2" }, [reversed(3, 5, 1000)]);
// Order 3, card, 8000: paid (product 4: 1 x 8000), returned with a refund of 3000.
order("order.created", "2024-03-10 09:00:00", 3, { amount: 8000, method: "CARD" });
order("order.paid", "2024-03-10 09:10:00", 3,
  { amount: 8000, revenue: 8000, delta: 1, method: "CARD" }, [sold(4, 1, 8000)]);
order("order.returned", "2024-03-10 15:00:00", 3, { amount: 3000, revenue: -3000, method: "CARD" });
// Orders 4 and 5, cash on delivery, created the day before (no row here): paid at
// 18:20 UTC (23:50 in Kolkata) and 18:40 UTC (00:10 the next day in Kolkata).
order("order.paid", "2024-03-10 18:20:00", 4,
  { amount: 1000, revenue: 1000, delta: 1, method: "COD" }, [sold(5, 1, 1000)]);
order("order.paid", "2024-03-10 18:40:00", 5,
  { amount: 2000, revenue: 2000, delta: 1, method: "COD" }, [sold(5, 2, 1000)]);
event("user.registered", "accounts", "2024-03-10 08:00:00", { user: "100" });
// Sessions: s1 reaches all four steps, s2 adds to cart (pays without a checkout
// event), s4 only views; s5 views, adds and starts checking out within one second, in
// that order by the millisecond; s6 adds to the cart 400 ms before it views, in the same
// second, so it only viewed.
const track = (type, session, at, product = 0, ms = 0) =>
  event(`analytics.${type}`, "storefront", at, { session, product, ms });
track("product_viewed", "s1", "2024-03-10 09:30:00", 1);
track("added_to_cart", "s1", "2024-03-10 09:40:00", 1);
track("checkout_started", "s1", "2024-03-10 09:50:00");
track("product_viewed", "s2", "2024-03-10 10:30:00", 3);
track("added_to_cart", "s2", "2024-03-10 10:40:00", 3);
track("product_viewed", "s4", "2024-03-10 12:00:00", 2);
track("product_viewed", "s5", "2024-03-10 12:30:00", 2, 100);
track("added_to_cart", "s5", "2024-03-10 12:30:00", 2, 200);
track("checkout_started", "s5", "2024-03-10 12:30:00", 0, 300);
track("added_to_cart", "s6", "2024-03-10 13:00:00", 1, 100);
track("product_viewed", "s6", "2024-03-10 13:00:00", 1, 500);

const DAY = { from: dt("2024-03-10 00:00:00"), to: dt("2024-03-11 00:00:00") };
// The funnel rollup's session keys, cityHash64 of the ids (the same on every version).
const [S1_KEY, S2_KEY, S6_KEY] = ["3894653346220934946", "9898306833597140953", "15463985160153681762"];

// The funnel rollup's levels of the sample day: it settles s4 (1), s2 (2, no checkout:
// the chain stops), s5 (3) and s1 (4); s6 added to the cart before its view, so its level
// is left to its raw events (255), with the span of its events, 13:00:00.100 to
// 13:00:00.500, in epoch milliseconds, and its key, cityHash64('s6').
const FUNNEL_SESSIONS = [
  "1\t1\t[]",
  "2\t1\t[]",
  "3\t1\t[]",
  "4\t1\t[]",
  `255\t1\t[(${S6_KEY},1710075600100,1710075600500)]`,
];
// A seal of the sample day: its generation, and the fingerprint of the day's rollup (the
// rows of the five sessions with funnel events).
const SEAL = { generation: "1710115200000000000", horizon: dt("2024-03-10 00:00:00"), rows: "5" };
const SEALED = { generation: SEAL.generation, until: dt("2024-03-12 00:00:00"), from_ms: "1710028800000", to_ms: "1710115200000" };

// The statements that change what later ones read run in this order, after the others.
const SEQUENCE = [
  "funnel_fingerprint", "funnel_seal", "funnel_seal_levels", "funnel_seal_counts", "funnel_seal_record",
  "funnel_seals", "funnel_sealed_generations", "conversion_funnel_sealed", "funnel_drop_seal",
  "funnel_drop_sealed", "funnel_drop_sealed_levels", "funnel_drop_sealed_counts",
];

// The queries with sample parameters and the rows they must return (TabSeparated);
// unordered marks a query whose row order is unspecified, match one whose rows are
// regular expressions (a time the server writes).
const EXPECT = {
  existing_event_ids: [
    { params: { ids: set([paid1, "00000000-0000-4000-8000-999999999999"]) }, rows: [paid1] },
  ],
  // 10000 + 5000 - 5000 + 8000 - 3000 + 1000 + 2000; 1 + 1 - 1 + 1 + 1 + 1.
  summary: [{ params: DAY, rows: ["18000\t4\t1"] }],
  revenue_series_day: [
    {
      // Kolkata days: the 10th starts at 18:30 UTC on the 9th.
      params: { from: dt("2024-03-09 18:30:00"), to: dt("2024-03-11 18:30:00"), tz: str("Asia/Kolkata") },
      rows: ["2024-03-10 00:00:00\t16000\t3", "2024-03-11 00:00:00\t2000\t1"],
    },
  ],
  revenue_series_hour: [
    {
      params: { from: dt("2024-03-10 17:30:00"), to: dt("2024-03-10 19:30:00"), tz: str("Asia/Kolkata") },
      rows: ["2024-03-10 23:00:00\t1000\t1", "2024-03-11 00:00:00\t2000\t1"],
    },
  ],
  orders_by_status: [
    { params: DAY, unordered: true, rows: ["order.cancelled\t1", "order.delivered\t1", "order.returned\t1"] },
  ],
  revenue_by_payment_method: [{ params: DAY, rows: ["CARD\t15000\t2", "COD\t3000\t2"] }],
  top_products: [
    { params: { ...DAY, by: str("UNITS"), limit: "3" }, rows: ["5\t3\t3000", "1\t2\t6000", "4\t1\t8000"] },
    { params: { ...DAY, by: str("REVENUE"), limit: "2" }, rows: ["4\t1\t8000", "1\t2\t6000"] },
  ],
  conversion_funnel: [
    { params: { ...DAY, until: dt("2024-03-12 00:00:00") }, rows: ["1\t2", "2\t1", "3\t1", "4\t1"] },
  ],
  conversion_funnel_sessions: [
    {
      params: { from: DAY.from, until: dt("2024-03-12 00:00:00"), from_ms: "1710028800000", to_ms: "1710115200000" },
      rows: FUNNEL_SESSIONS,
    },
  ],
  // conversion_funnel.sql for some sessions within time spans: s6 alone, then s1, s2 and s6.
  conversion_funnel_some: [
    {
      params: {
        ...DAY, until: dt("2024-03-12 00:00:00"), sessions: `(${S6_KEY})`,
        spans: "(ts >= toDateTime(1710075600) AND ts < toDateTime(1710075601))",
      },
      rows: ["1\t1"],
    },
    {
      params: {
        ...DAY, until: dt("2024-03-12 00:00:00"), sessions: `(${S1_KEY}, ${S2_KEY}, ${S6_KEY})`,
        spans: "(ts >= toDateTime(1710028800) AND ts < toDateTime(1710070000)) OR (ts >= toDateTime(1710075600) AND ts < toDateTime(1710201600))",
      },
      rows: ["1\t1", "2\t1", "4\t1"],
    },
  ],
  // The funnel's seal of the sample day, then its funnel (the same rows as
  // conversion_funnel_sessions.sql's) read from it, once with the day sealed and once
  // with the seal's horizon a day earlier, so that the day's sessions are grouped from
  // their rollup rows and their sealed rows together. Then the seal is dropped.
  funnel_fingerprint: [{ params: { horizon: SEAL.horizon }, rows: [SEAL.rows] }],
  funnel_seal: [{ params: { generation: SEAL.generation, horizon: SEAL.horizon }, rows: [] }],
  funnel_seal_levels: [{ params: { generation: SEAL.generation, horizon: SEAL.horizon }, rows: [] }],
  funnel_seal_counts: [{ params: { generation: SEAL.generation }, rows: [] }],
  funnel_seal_record: [
    {
      params: { generation: SEAL.generation, horizon: SEAL.horizon, rollup_rows: SEAL.rows },
      rows: [],
    },
  ],
  funnel_seals: [
    { params: {}, match: true, rows: [`^${SEAL.generation}\t2024-03-10\t${SEAL.rows}\t\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d$`] },
  ],
  funnel_sealed_generations: [{ params: {}, rows: [SEAL.generation] }],
  // Read from the seal's counts, s6 at the level the seal worked out from its raw events
  // (1: no cart after its view), with no session across the range's edges to name; then
  // with the horizon a day earlier, so that the grouping part counts the day's sessions
  // again (s6 undetermined) and takes back what the seal's counts held of them.
  conversion_funnel_sealed: [
    {
      params: { ...SEALED, horizon: SEAL.horizon },
      unordered: true,
      rows: ["1\t2\t[]", "2\t1\t[]", "3\t1\t[]", "4\t1\t[]", "255\t0\t[]"],
    },
    {
      params: { ...SEALED, horizon: dt("2024-03-09 00:00:00") },
      unordered: true,
      rows: [
        "1\t2\t[]", "2\t1\t[]", "3\t1\t[]", "4\t1\t[]", "255\t0\t[]",
        "1\t-1\t[]", "2\t0\t[]", "3\t0\t[]", "4\t0\t[]", FUNNEL_SESSIONS[4],
      ],
    },
  ],
  funnel_drop_seal: [{ params: { generation: SEAL.generation }, rows: [] }],
  funnel_drop_sealed: [{ params: { generation: SEAL.generation }, rows: [] }],
  funnel_drop_sealed_levels: [{ params: { generation: SEAL.generation }, rows: [] }],
  funnel_drop_sealed_counts: [{ params: { generation: SEAL.generation }, rows: [] }],
  event_counts: [
    {
      params: DAY,
      rows: [
        "accounts\tuser.registered\t1",
        "orders\torder.cancelled\t1",
        "orders\torder.created\t3",
        "orders\torder.delivered\t1",
        "orders\torder.paid\t5",
        "orders\torder.returned\t1",
        "orders\torder.shipped\t1",
        "storefront\tanalytics.added_to_cart\t4",
        "storefront\tanalytics.checkout_started\t2",
        "storefront\tanalytics.product_viewed\t5",
      ],
    },
  ],
};

// ------------------------------------------------------------------ the check

function main() {
  ensureChdb();
  const chdb = loadChdb();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shopgraph-chdb-"));
  const session = new chdb.Session(dir);
  let steps = 0;
  const run = (what, sql) => {
    try {
      steps++;
      return String(session.query(sql, "TabSeparated") ?? "");
    } catch (err) {
      fail(`${what} failed on ClickHouse ${version}:\n${err.message}\n--- SQL:\n${sql.trim()}`);
    }
  };
  let version = "?";
  try {
    version = run("SELECT version()", "SELECT version()").trim();
    log(`ClickHouse ${version} (chdb ${CHDB_VERSION}), loaded in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const files = fs.readdirSync(MIGRATIONS).filter((f) => f.endsWith(".sql")).sort();
    const migrations = files.map((f) => [f, migrationStatements(path.join(MIGRATIONS, f))]);
    for (const [f, m] of migrations) m.up.forEach((s, i) => run(`${f} up #${i + 1}`, s));
    for (const [f, m] of [...migrations].reverse()) m.down.forEach((s, i) => run(`${f} down #${i + 1}`, s));
    for (const [f, m] of migrations) m.up.forEach((s, i) => run(`${f} up #${i + 1} (again)`, s));
    log(`migrations: ${files.length} file(s) up, down and up again`);

    const views = run("listing views", "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine = 'MaterializedView' ORDER BY name")
      .split("\n").filter(Boolean);
    if (views.length === 0) fail("no materialized views after the migrations");
    for (const view of views) {
      const target = view.replace(/_mv$/, "");
      const cols = (t) => run(`columns of ${t}`,
        `SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = ${str(t)} ORDER BY name`).trim();
      if (cols(view) !== cols(target) || cols(target) === "") {
        fail(`${view} outputs\n${cols(view)}\nbut ${target} has\n${cols(target)}`);
      }
    }
    log(`rollup views match their targets: ${views.join(", ")}`);

    const queryFiles = fs.readdirSync(QUERIES).filter((f) => f.endsWith(".sql")).sort();
    const sql = Object.fromEntries(queryFiles.map((f) => [f.slice(0, -4), fs.readFileSync(path.join(QUERIES, f), "utf8")]));
    if (!sql.insert_events) fail("no insert_events.sql");
    for (const r of rows) if (r.length !== COLUMNS) fail(`sample row of ${r.length} values, want ${COLUMNS}`);
    run("insert_events", `${stripComments(sql.insert_events).trim()} VALUES\n${rows.map((r) => `(${r.join(", ")})`).join(",\n")}`);
    log(`insert_events: ${rows.length} sample rows`);

    const names = Object.keys(sql).filter((n) => n !== "insert_events" && !SEQUENCE.includes(n));
    for (const name of [...names, ...SEQUENCE]) {
      const cases = EXPECT[name];
      if (!cases) fail(`${name}.sql has no sample parameters and figures in scripts/chdb-check.mjs`);
      for (const c of cases) {
        let got = run(name, bind(name, sql[name], c.params)).split("\n").filter((l) => l !== "");
        let want = c.rows;
        if (c.unordered) [got, want] = [[...got].sort(), [...want].sort()];
        const same = c.match
          ? got.length === want.length && got.every((l, i) => new RegExp(want[i]).test(l))
          : got.join("\n") === want.join("\n");
        if (!same) {
          fail(`${name} with ${JSON.stringify(c.params)} returned\n${got.join("\n")}\nwant\n${want.join("\n")}`);
        }
      }
      log(`${name}: ${cases.length === 1 ? "ok" : `ok (${cases.length} cases)`}`);
    }
    for (const name of Object.keys(EXPECT)) if (!sql[name]) fail(`samples for ${name}, but no ${name}.sql`);
  } finally {
    try {
      session.cleanup();
    } catch {}
    fs.rmSync(dir, { recursive: true, force: true });
  }
  log(`PASS: ${steps} statements on ClickHouse ${version} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

try {
  main();
} catch (err) {
  if (!(err instanceof CheckError)) throw err;
  console.error(`chdb-check: FAIL: ${err.message}`);
  process.exit(1);
}
