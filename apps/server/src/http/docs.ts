/** `/docs`: Swagger UI from swagger-ui-dist's static files, reading `/openapi.json`. */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Hono } from 'hono';

const swaggerUiDir = dirname(
  createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'),
);

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Order completion service API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`;

const init = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  persistAuthorization: true,
  tryItOutEnabled: true,
});
`;

export function mountDocs(app: Hono) {
  app.get('/docs', (c) => c.html(page));
  app.get('/docs/', (c) => c.html(page));
  app.get('/docs/init.js', (c) =>
    c.body(init, 200, { 'content-type': 'text/javascript; charset=utf-8' }),
  );
  app.get(
    '/docs/*',
    serveStatic({ root: swaggerUiDir, rewriteRequestPath: (path) => path.slice('/docs'.length) }),
  );
}
