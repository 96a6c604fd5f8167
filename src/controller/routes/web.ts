// The dashboard's files, served by the controller itself: no CDN and no external request at run
// time (the content security policy forbids any). The browser code is plain ES modules compiled by
// `npm run build` into dist/web/; they are read once at start and served with an ETag.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { errorBody } from '../errors.js';

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** The built dashboard: dist/web/ under the package root, whether we run from src/ or dist/. */
export function defaultWebDir(): string {
  return join(fileURLToPath(new URL('../../../', import.meta.url)), 'dist', 'web');
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

export function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(dir)) return assets;
  for (const path of walk(dir)) {
    const type = TYPES[extname(path)];
    if (type === undefined) continue;
    const body = readFileSync(path);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    assets.set(relative(dir, path).split(sep).join('/'), { body, type, etag });
  }
  return assets;
}

/**
 * index.html names every module with modulepreload, so a slow link fetches them all at once
 * instead of discovering the import graph one round trip per level.
 */
function indexPage(assets: Map<string, Asset>): Asset | null {
  const index = assets.get('index.html');
  if (index === undefined) return null;
  const links = [...assets.keys()]
    .filter((k) => k.endsWith('.js'))
    .sort()
    .map((k) => `<link rel="modulepreload" href="/web/${k}">`)
    .join('\n');
  const body = Buffer.from(index.body.toString('utf8').replace('<!--modules-->', links));
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  return { body, type: index.type, etag };
}

function send(reply: FastifyReply, asset: Asset, if_none_match: string | undefined): FastifyReply {
  reply.headers({ ...HEADERS, etag: asset.etag, 'cache-control': 'no-cache' });
  if (if_none_match === asset.etag) return reply.status(304).send();
  return reply.type(asset.type).send(asset.body);
}

export function webRoutes(app: FastifyInstance, dir: string = defaultWebDir()): void {
  const assets = loadAssets(dir);
  const index = indexPage(assets);
  app.get('/', async (req, reply) => {
    if (index === null)
      return reply
        .status(404)
        .send(errorBody('not-found', `the dashboard is not built (no ${dir}); run \`npm run build\``));
    return send(reply, index, req.headers['if-none-match']);
  });
  app.get<{ Params: { '*': string } }>('/web/*', async (req, reply) => {
    const asset = assets.get(req.params['*']);
    if (asset === undefined)
      return reply.status(404).send(errorBody('not-found', `no dashboard file ${req.params['*']}`));
    return send(reply, asset, req.headers['if-none-match']);
  });
}
