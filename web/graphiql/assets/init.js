// Boots GraphiQL for the page served by github.com/shopgraph/shopgraph/web/graphiql.
// It lives in its own file (not inline in index.html) so that the page's
// Content-Security-Policy can keep script-src at 'self'.
(function () {
  'use strict';

  var root = document.getElementById('graphiql');
  if (!root) {
    return;
  }
  if (typeof window.GraphiQL === 'undefined' ||
      typeof window.React === 'undefined' ||
      typeof window.ReactDOM === 'undefined') {
    root.textContent = 'GraphiQL failed to load its scripts.';
    return;
  }

  // The endpoint comes from the server through a data attribute; it may be a
  // path ("/graphql") or an absolute http(s) URL. Both are resolved against
  // the page's own location.
  var endpoint = root.getAttribute('data-endpoint') || '/graphql';
  var httpURL = new URL(endpoint, window.location.href);
  var wsURL = new URL(httpURL.href);
  wsURL.protocol = httpURL.protocol === 'https:' ? 'wss:' : 'ws:';

  // createFetcher sends queries and mutations over HTTP POST to url and
  // subscriptions over WebSocket (graphql-transport-ws protocol; graphql-ws is
  // bundled inside graphiql.min.js) to subscriptionUrl. Headers typed into the
  // headers editor go out as HTTP headers, and for subscriptions as the
  // payload of the connection_init message.
  var fetcher = GraphiQL.createFetcher({
    url: httpURL.href,
    subscriptionUrl: wsURL.href
  });

  root.textContent = '';
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      defaultEditorToolsVisibility: 'headers'
    })
  );
})();
