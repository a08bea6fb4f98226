/**
 * The page to try the model (serving/src/ui/): GET / and GET /ui/ (the same page; no route of this app is a proxy
 * path, so / is free, and /ui/ is the address to link to when a proxy in front maps / elsewhere), its files under
 * /ui/, and GET /ui/api/stats for its live panels. Every URL in the page is relative, so it also works behind a
 * proxy's path prefix. Nothing here touches the prediction routes: the stats are read from the request histogram
 * the app keeps anyway, when a page asks.
 */
import { createHash } from 'node:crypto';
import { Hono, type Context } from 'hono';
import type { AppDeps } from '../app-deps.js';
import type { ModelBackend } from '../backend.js';
import { UI_ASSETS } from '../ui/assets.js';
import { RequestStats, WINDOW_MS } from '../ui/request-stats.js';

/** Same origin only: no inline script or style, no other host, not framed. */
export const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const SECURITY_HEADERS = {
  'Content-Security-Policy': PAGE_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
} as const;

interface StaticFile {
  body: string;
  type: string;
  etag: string;
}

function staticFile(body: string, type: string): StaticFile {
  return { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

/** The page for where it is served: `assets` is where its files are and `api` where the app's routes are, relative to it. */
function page(assets: string, api: string): StaticFile {
  return staticFile(UI_ASSETS.html.replaceAll('%ASSETS%', assets).replaceAll('%API%', api), 'text/html; charset=utf-8');
}

/** What the page says about the backend: the kind, and the SageMaker endpoint when the backend names it. */
export function backendDescription(backend: ModelBackend | undefined): { kind: string; endpoint?: string } | null {
  if (backend === undefined) return null;
  return backend.endpoint === undefined ? { kind: backend.kind } : { kind: backend.kind, endpoint: backend.endpoint };
}

export function uiRoutes({ model, metrics }: AppDeps): Hono {
  const routes = new Hono();
  const stats = new RequestStats(metrics.registry);
  // Built once: the files never change while the process runs.
  const atRoot = page('ui/', './');
  const atUi = page('', '../');
  const files: Record<string, StaticFile> = {
    'page.js': staticFile(UI_ASSETS.pageJs, 'text/javascript; charset=utf-8'),
    'page.css': staticFile(UI_ASSETS.pageCss, 'text/css; charset=utf-8'),
    'uplot.min.js': staticFile(UI_ASSETS.uplotJs, 'text/javascript; charset=utf-8'),
    'uplot.min.css': staticFile(UI_ASSETS.uplotCss, 'text/css; charset=utf-8'),
  };

  routes.get('/', (c) => send(c, atRoot));
  // Relative, so it stays under a proxy's prefix.
  routes.get('/ui', (c) => c.redirect('ui/', 308));
  routes.get('/ui/', (c) => send(c, atUi));
  for (const [name, file] of Object.entries(files)) routes.get(`/ui/${name}`, (c) => send(c, file));

  routes.get('/ui/api/stats', async (c) => {
    const points = await stats.points();
    return c.json({ window_seconds: WINDOW_MS / 1000, points, backend: backendDescription(model.backend) }, 200, {
      ...SECURITY_HEADERS,
      'Cache-Control': 'no-store',
    });
  });

  return routes;
}

/** The file with its validator: browsers revalidate (no-cache) and get a 304 while it is unchanged. */
function send(c: Context, file: StaticFile): Response {
  const headers = { ...SECURITY_HEADERS, 'Cache-Control': 'no-cache', ETag: file.etag };
  if (c.req.header('if-none-match') === file.etag) return c.body(null, 304, headers);
  return c.body(file.body, 200, { ...headers, 'Content-Type': file.type });
}
