// The dashboard's shell: sign-in, the header, and a router over the URL's hash (#/sites,
// #/site/<id>, #/events, #/notifications), so every view has a link and the back button works.
import { ApiError, call } from './api.js';
import { h } from './dom.js';
import { eventsPage } from './events.js';
import { live } from './live.js';
import { notificationsPage } from './notifications.js';
import { session } from './session.js';
import { sitePage } from './site.js';
import { sitesPage } from './sites.js';
import type { Whoami } from './types.js';

/** A page draws into main and returns what to undo when the user leaves it. */
export type Page = (main: HTMLElement, params: URLSearchParams) => () => void;

interface Route {
  readonly page: Page;
  readonly title: string;
  readonly nav: string;
  /** Draws write controls for admins only, so it waits until the token's scope is known. */
  readonly scoped: boolean;
}

function route(hash: string): { route: Route; params: URLSearchParams } {
  const [path = '', search = ''] = hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(search);
  const site = /^\/site\/([^/]+)$/.exec(path);
  if (site) {
    params.set('site_id', decodeURIComponent(site[1]!));
    return { route: { page: sitePage, title: 'Site', nav: 'sites', scoped: true }, params };
  }
  if (path === '/events')
    return { route: { page: eventsPage, title: 'Events', nav: 'events', scoped: false }, params };
  if (path === '/notifications')
    return {
      route: { page: notificationsPage, title: 'Notifications', nav: 'notifications', scoped: true },
      params,
    };
  return { route: { page: sitesPage, title: 'Sites', nav: 'sites', scoped: false }, params };
}

let leave: (() => void) | null = null;
/** The token's scope, asked at start; the first view does not wait for it unless it draws write controls. */
let scope: Promise<Whoami | null> = Promise.resolve(null);
/** The header's listener on the live stream, dropped at sign-out. */
let offLiveState: (() => void) | null = null;

function header(): HTMLElement {
  const who = session.whoami;
  const status = h('span', { id: 'live-state', class: 'live off', role: 'status' }, 'connecting…');
  offLiveState?.();
  offLiveState = live.on('state', ({ connected }) => {
    status.textContent = connected ? 'live' : 'reconnecting…';
    status.className = `live ${connected ? 'on' : 'off'}`;
  });
  const link = (href: string, text: string, nav: string) => h('a', { href, 'data-nav': nav }, text);
  return h(
    'div',
    { class: 'bar' },
    h('span', { class: 'brand' }, 'tandem'),
    h(
      'nav',
      { 'aria-label': 'Main' },
      link('#/sites', 'Sites', 'sites'),
      link('#/events', 'Events', 'events'),
      link('#/notifications', 'Notifications', 'notifications'),
    ),
    status,
    h('span', { class: 'who', id: 'who' }, who === null ? '' : whoText(who)),
    h('button', { type: 'button', id: 'sign-out', onclick: () => signOut('signed out') }, 'Sign out'),
  );
}

function whoText(who: Whoami): string {
  return `${who.name ?? 'token'} · ${who.scope}`;
}

function render(): void {
  leave?.();
  leave = null;
  const main = document.getElementById('main')!;
  main.replaceChildren();
  const { route: r, params } = route(location.hash);
  if (r.scoped && session.whoami === null) {
    const hash = location.hash;
    main.append(h('p', { class: 'muted' }, 'Loading…'));
    void scope.then((who) => {
      if (who !== null && location.hash === hash && leave === null) render();
    });
    return;
  }
  document.title = `${r.title} · tandem`;
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a')) {
    if (a.dataset.nav === r.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  leave = r.page(main, params);
}

/** A new view: drawn, and the focus moved to it, so keyboard and screen-reader users start there. */
function navigate(): void {
  render();
  document.getElementById('main')?.focus({ preventScroll: true });
}

function signOut(reason: string): void {
  live.stop();
  leave?.();
  leave = null;
  session.forget();
  window.removeEventListener('hashchange', navigate);
  signInForm(reason);
}

function start(): void {
  document.getElementById('top')!.replaceChildren(header());
  live.start();
  window.addEventListener('hashchange', navigate);
  render();
}

function signInForm(notice: string | null): void {
  document
    .getElementById('top')!
    .replaceChildren(h('div', { class: 'bar' }, h('span', { class: 'brand' }, 'tandem')));
  const error = h('p', { id: 'token-error', class: 'field-error', role: 'alert' });
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    required: true,
    'aria-describedby': 'token-error',
  });
  const remember = h('input', { id: 'remember', type: 'checkbox' });
  const form = h(
    'form',
    { class: 'card sign-in', 'aria-labelledby': 'sign-in-title' },
    h('h1', { id: 'sign-in-title' }, 'Sign in'),
    notice === null ? null : h('p', { class: 'muted' }, notice),
    h('label', { for: 'token' }, 'API token (admin or viewer)'),
    input,
    error,
    h('div', { class: 'check' }, remember, h('label', { for: 'remember' }, 'Remember me on this computer')),
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const token = input.value.trim();
    try {
      const who = await call<Whoami>('GET', '/api/v1/whoami', undefined, token);
      session.signIn(token, who, remember.checked);
      scope = Promise.resolve(who);
      start();
    } catch (err) {
      error.textContent = err instanceof ApiError ? err.message : String(err);
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    }
  });
  document.getElementById('main')!.replaceChildren(form);
  input.focus();
}

/** A remembered token: the sites list is drawn at once while the controller says whose token it is. */
function resume(token: string): void {
  scope = call<Whoami>('GET', '/api/v1/whoami', undefined, token).then(
    (who) => {
      session.resume(who);
      const el = document.getElementById('who');
      if (el) el.textContent = whoText(who);
      return who;
    },
    (err: unknown) => {
      signOut(err instanceof ApiError ? `Signed out: ${err.message}` : `Signed out: ${String(err)}`);
      return null;
    },
  );
  start();
}

function boot(): void {
  session.onExpired((reason) => signOut(`Signed out: ${reason}`));
  const token = session.token();
  if (token === null) signInForm(null);
  else resume(token);
}

boot();
