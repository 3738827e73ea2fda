// Builds the browser clients into dist/: runs after graphql-codegen (npm run build).
//
//   1. the operations manifest (dist/operations.json): every operation exactly as the
//      GraphQL client sends it, with its SHA-256, which the server accepts as persisted
//      queries and the Go tests validate against the schema; and each client's hash table;
//   2. the type check;
//   3. the bundles (esbuild), content-hashed, and a page per client;
//   4. dist/sources.sha256: a digest of the sources, which a Go test recomputes to catch
//      a bundle older than its sources.
//
// node build.mjs --dev builds without minifying and without persisted queries.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const root = dirname(fileURLToPath(import.meta.url));
const dev = process.argv.includes('--dev');
const clients = ['storefront', 'admin'];
const dist = join(root, 'dist');
const sha256 = (s) => createHash('sha256').update(s).digest('hex');

// 1. The manifest, computed with the client library itself so that the text is exactly
// what goes on the wire.
const probe = await esbuild.build({
  stdin: {
    contents:
      clients.map((c) => `export * as ${c} from './${c}/gql/graphql.ts';`).join('\n') +
      `\nexport { createRequest, stringifyDocument } from '@urql/core';`,
    resolveDir: root,
    loader: 'ts',
  },
  bundle: true,
  format: 'esm',
  platform: 'node',
  write: false,
  logLevel: 'warning',
});
const mod = await import('data:text/javascript;base64,' + Buffer.from(probe.outputFiles[0].text).toString('base64'));
const operations = [];
for (const client of clients) {
  const hashes = {};
  for (const [name, doc] of Object.entries(mod[client])) {
    if (!name.endsWith('Document') || doc?.kind !== 'Document') continue;
    const op = doc.definitions.find((d) => d.kind === 'OperationDefinition');
    if (!op) continue;
    const query = mod.stringifyDocument(mod.createRequest(doc, {}).query);
    const hash = sha256(query);
    const opName = op.name.value;
    if (operations.some((o) => o.name === opName)) throw new Error(`operation ${opName} is defined twice`);
    hashes[opName] = hash;
    operations.push({ client, name: opName, type: op.operation, hash, query });
  }
  writeFileSync(join(root, client, 'gql', 'hashes.json'), JSON.stringify(sortKeys(hashes), null, 2) + '\n');
}
operations.sort((a, b) => a.client.localeCompare(b.client) || a.name.localeCompare(b.name));

// 2. Types.
execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['--noEmit', '-p', root], { stdio: 'inherit' });

// 3. Bundles.
rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'assets'), { recursive: true });
const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: Object.fromEntries(clients.map((c) => [c, `${c}/main.tsx`])),
  bundle: true,
  outdir: join(dist, 'assets'),
  entryNames: '[name]-[hash]',
  format: 'esm',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: !dev,
  sourcemap: dev ? 'inline' : false,
  legalComments: dev ? 'inline' : 'none',
  define: { PERSISTED: String(!dev), 'process.env.NODE_ENV': JSON.stringify(dev ? 'development' : 'production') },
  metafile: true,
  charset: 'utf8',
  logLevel: 'warning',
});
const sizes = {};
for (const client of clients) {
  const outs = Object.entries(result.metafile.outputs).filter(([, o]) => o.entryPoint === `${client}/main.tsx`);
  const js = relative(dist, join(root, outs[0][0]));
  const css = outs[0][1].cssBundle ? relative(dist, join(root, outs[0][1].cssBundle)) : null;
  const title = client === 'admin' ? 'shopgraph admin' : 'shopgraph';
  const base = client === 'admin' ? '/admin' : '';
  writeFileSync(
    join(dist, `${client}.html`),
    `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>${title}</title>
${css ? `<link rel="stylesheet" href="/${css}">\n` : ''}<script type="module" src="/${js}"></script>
</head>
<body data-base="${base}">
<noscript>This shop needs JavaScript.</noscript>
<div id="app"></div>
</body>
</html>
`,
  );
  const body = readFileSync(join(dist, js));
  sizes[client] = { js: body.length, jsGzip: gzipSync(body, { level: 9 }).length, css: css ? gzipSync(readFileSync(join(dist, css)), { level: 9 }).length : 0 };
}
writeFileSync(join(dist, 'operations.json'), JSON.stringify(operations, null, 2) + '\n');
writeFileSync(join(dist, 'sizes.json'), JSON.stringify(sizes, null, 2) + '\n');

// 4. The sources' digest: every file the bundle is built from, by path, and the schema.
writeFileSync(join(dist, 'sources.sha256'), `${sourcesDigest()} ${dev ? 'dev' : 'production'}\n`);

for (const [c, s] of Object.entries(sizes)) {
  console.log(`${c}: ${(s.js / 1024).toFixed(1)} KiB, ${(s.jsGzip / 1024).toFixed(1)} KiB gzipped (+ ${(s.css / 1024).toFixed(1)} KiB css)`);
}
console.log(`${operations.length} operations in dist/operations.json`);

/** sourcesDigest must match web.SourcesDigest in Go (web/web_test.go). */
function sourcesDigest() {
  const files = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const rel = relative(root, p).split('\\').join('/');
      if (statSync(p).isDirectory()) {
        if (['node_modules', 'dist', 'gql', 'graphiql'].includes(name)) continue;
        walk(p);
      } else if (!name.endsWith('.go') && !name.startsWith('.')) {
        files.push(rel);
      }
    }
  };
  walk(root);
  files.sort();
  let list = '';
  for (const f of files) list += `${sha256(readFileSync(join(root, f)))}  ${f}\n`;
  list += `${sha256(readFileSync(join(root, '..', 'schema.graphqls')))}  ../schema.graphqls\n`;
  return sha256(list);
}

function sortKeys(o) {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}
void pathToFileURL;
