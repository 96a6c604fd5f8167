// What an admin asks a site's nodes to do, through the controller (never to the agents directly):
// the API test (each node's checks with their fix; an offline node shown as offline, not as a
// failure), a switchover, and maintenance on or off per node. Each command is confirmed first and
// answered with the node's own verdict: done, or refused with the agent's reason in plain words.
// Viewers get none of this (the API refuses them anyway).
import { ApiError, call } from './api.js';
import { announce, h } from './dom.js';
import { when } from './format.js';
import { session } from './session.js';
import type {
  ApiTestView,
  CheckResult,
  CommandView,
  NodeApiTest,
  OperatorCommand,
  Role,
  SiteView,
} from './types.js';

/** How long the controller holds the request open for the node's answer (its bound is 30 s). */
const WAIT_MS = 20_000;

const CHECK_WORDS: Record<CheckResult['status'], string> = {
  ok: 'OK',
  'cannot-authenticate': 'cannot authenticate',
  'missing-permission': 'missing permission',
  'wrong-id': 'wrong id',
  'wrong-setting': 'wrong setting',
  unreachable: 'API unreachable',
  error: 'error',
};

const NODE_WORDS: Record<NodeApiTest['status'], string> = {
  ok: 'every check OK',
  failed: 'checks failed',
  offline: 'offline: not heard lately, so not asked',
  pending: 'asked; no answer yet',
};

function checkRow(c: CheckResult): HTMLElement {
  const ok = c.status === 'ok';
  return h(
    'tr',
    { class: ok ? 'ok' : 'bad', 'data-status': c.status },
    h('td', {}, c.action),
    h('td', {}, c.check),
    h('td', { class: `test-result ${ok ? 'ok' : 'bad'}` }, CHECK_WORDS[c.status]),
    h('td', {}, c.detail ?? ''),
    h('td', { class: 'fix' }, c.fix ?? ''),
  );
}

function checksTable(role: Role, which: string, checks: readonly CheckResult[]): HTMLElement | null {
  if (checks.length === 0) return null;
  return h(
    'table',
    { class: 'checks' },
    h('caption', { class: 'sr-only' }, `The ${role}'s ${which} checks`),
    h(
      'thead',
      {},
      h('tr', {}, ...['Action', 'Check', 'Result', 'Detail', 'Fix'].map((t) => h('th', { scope: 'col' }, t))),
    ),
    h('tbody', {}, ...checks.map(checkRow)),
  );
}

function nodeResult(role: Role, n: NodeApiTest | null): HTMLElement | null {
  if (n === null) return null;
  const good = n.status === 'ok';
  return h(
    'div',
    { class: 'node-test', id: `api-test-${role}`, 'data-status': n.status },
    h(
      'h4',
      {},
      `${role === 'primary' ? 'Primary' : 'Secondary'}: `,
      h('span', { class: `test-result ${good ? 'ok' : 'bad'}` }, NODE_WORDS[n.status]),
      n.at === null ? '' : h('span', { class: 'muted' }, ` (${when(n.at)})`),
    ),
    checksTable(
      role,
      'failed',
      n.checks.filter((c) => c.status !== 'ok'),
    ),
    n.checks.some((c) => c.status === 'ok')
      ? h(
          'details',
          { class: 'ok-checks' },
          h('summary', {}, `${n.checks.filter((c) => c.status === 'ok').length} checks OK`),
          checksTable(
            role,
            'passed',
            n.checks.filter((c) => c.status === 'ok'),
          ),
        )
      : null,
  );
}

function apiTestResult(t: ApiTestView): HTMLElement {
  const pre = t.prerequisites;
  return h(
    'div',
    { class: 'card', id: 'api-test-result', 'data-complete': String(t.complete) },
    h('h3', {}, t.complete ? 'API test' : 'API test (still waiting for a node)'),
    nodeResult('primary', t.nodes.primary),
    nodeResult('secondary', t.nodes.secondary),
    pre.length === 0
      ? null
      : h(
          'div',
          { id: 'api-test-prerequisites' },
          h('h4', {}, 'Prerequisites'),
          h(
            'ul',
            { class: 'reasons' },
            ...pre.map((p) =>
              h(
                'li',
                { class: p.status === 'ok' ? 'ok' : 'bad' },
                `${p.check}: ${p.status === 'ok' ? 'OK' : p.status}`,
                p.detail === undefined ? '' : ` — ${p.detail}`,
                p.fix === undefined ? '' : h('div', { class: 'fix' }, `Fix: ${p.fix}`),
              ),
            ),
          ),
        ),
  );
}

function apiTest(site: SiteView, out: HTMLElement): HTMLButtonElement {
  const button = h('button', { type: 'button', id: 'api-test' }, 'Run API test');
  button.addEventListener('click', async () => {
    button.disabled = true;
    out.replaceChildren(h('p', { class: 'muted', role: 'status' }, 'Asking each node to run its checks…'));
    try {
      const t = await call<ApiTestView>('POST', `/api/v1/sites/${encodeURIComponent(site.id)}/api-test`, {
        wait_ms: WAIT_MS,
      });
      out.replaceChildren(apiTestResult(t));
      announce(`API test ${t.complete ? 'done' : 'incomplete'}`);
    } catch (err) {
      out.replaceChildren(h('p', { class: 'form-error', role: 'alert' }, errorText(err)));
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

function errorText(err: unknown): string {
  return err instanceof ApiError ? err.message : String(err);
}

interface Ask {
  readonly command: OperatorCommand;
  readonly role: Role;
  readonly title: string;
  readonly text: string;
  readonly confirm: string;
}

function roleName(role: Role): string {
  return role === 'primary' ? 'primary' : 'secondary';
}

function other(role: Role): Role {
  return role === 'primary' ? 'secondary' : 'primary';
}

/** The questions asked before a command, in the words of what will happen to the traffic. */
function asks(site: SiteView): { switchover: Ask | null; maintenance: Ask[] } {
  const active = site.status.active;
  const switchover: Ask | null =
    site.ha_enabled && (active === 'primary' || active === 'secondary')
      ? {
          command: 'switchover',
          role: active,
          title: 'Switch over?',
          text: `The active ${roleName(active)} hands the role to the ${roleName(other(active))}, which claims the traffic. The ${roleName(active)} refuses if its peer is not a fit standby.`,
          confirm: `Switch over to the ${roleName(other(active))}`,
        }
      : null;
  const maintenance = (['primary', 'secondary'] as const).flatMap((role): Ask[] => {
    const n = site.status.nodes[role];
    if (n === null || !n.enrolled) return [];
    const on = n.state !== 'maintenance';
    return [
      {
        command: on ? 'maintenance-on' : 'maintenance-off',
        role,
        title: on ? `Put the ${role} in maintenance?` : `Take the ${role} out of maintenance?`,
        text: on
          ? `The ${role} gives up the active role if it holds it (its peer takes over) and takes no role until maintenance is off.`
          : `The ${role} takes part in HA again${role === 'primary' ? ' and takes the active role back (preemption)' : ''}.`,
        confirm: on ? 'Maintenance on' : 'Maintenance off',
      },
    ];
  });
  return { switchover, maintenance };
}

function verdict(v: CommandView): HTMLElement {
  const by = `the ${v.role}`;
  const what =
    v.kind === 'switchover'
      ? 'Switchover'
      : v.kind === 'maintenance-on'
        ? 'Maintenance on'
        : 'Maintenance off';
  const text: Record<CommandView['status'], string> = {
    done: `${what}: done by ${by}.`,
    refused: `${what} refused by ${by}`,
    failed: `${what} failed on ${by}`,
    expired: `${what}: ${by} did not answer in time`,
    offline: `${what}: ${by} is offline`,
    pending: `${what}: asked ${by}; no answer yet (it shows in the events when it comes)`,
  };
  const bad = v.status !== 'done' && v.status !== 'pending';
  return h(
    'div',
    {
      id: 'command-result',
      class: `card ${bad ? 'refused' : 'done'}`,
      'data-status': v.status,
      role: 'status',
    },
    h('strong', {}, text[v.status]),
    v.reason === null || v.status === 'done'
      ? null
      : h(
          'p',
          {},
          h('code', { class: 'reason-code' }, v.reason),
          v.message !== null && v.message !== v.reason ? ` — ${v.message}` : '',
        ),
  );
}

/** One dialog for every command: the question, then Cancel or the named action. */
function commandDialog(site_id: string, out: HTMLElement, changed: () => void) {
  const title = h('h2', { id: 'command-title' });
  const text = h('p', { id: 'command-text' });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const confirm = h('button', { type: 'button', id: 'command-confirm', class: 'primary' });
  const cancel = h('button', { type: 'button', id: 'command-cancel' }, 'Cancel');
  const dialog = h(
    'dialog',
    { id: 'command-dialog', 'aria-labelledby': 'command-title', 'aria-describedby': 'command-text' },
    title,
    text,
    error,
    h('div', { class: 'actions' }, cancel, confirm),
  );
  let asked: Ask | null = null;
  cancel.addEventListener('click', () => dialog.close());
  confirm.addEventListener('click', async () => {
    if (asked === null) return;
    const a = asked;
    confirm.disabled = true;
    error.textContent = '';
    out.replaceChildren(h('p', { class: 'muted', role: 'status' }, `Asking the ${a.role}…`));
    try {
      const v = await call<CommandView>('POST', `/api/v1/sites/${encodeURIComponent(site_id)}/commands`, {
        command: a.command,
        role: a.role,
        wait_ms: WAIT_MS,
      });
      dialog.close();
      out.replaceChildren(verdict(v));
      announce(out.textContent ?? '');
      changed();
    } catch (err) {
      // Refused by the controller before any node was asked (an offline node, no such node): said here.
      out.replaceChildren();
      error.textContent = errorText(err);
    } finally {
      confirm.disabled = false;
    }
  });
  const open = (a: Ask) => {
    asked = a;
    title.textContent = a.title;
    text.textContent = a.text;
    confirm.textContent = a.confirm;
    error.textContent = '';
    dialog.showModal();
    cancel.focus();
  };
  return { dialog, open };
}

export interface Operations {
  readonly element: HTMLElement;
  /** Redraws the buttons for the site as it is now; the last results stay until replaced. */
  update(site: SiteView): void;
}

/** Made once per site page, so live reloads keep a shown result (and an open dialog) in place. */
export function operations(site_id: string, changed: () => void): Operations {
  const element = h('section', { 'aria-labelledby': 'ops-title', id: 'operations', hidden: true });
  /** Drawn on the first update that finds an admin: a viewer's page holds no control at all. */
  let drawn: {
    buttons: HTMLElement;
    test: HTMLButtonElement;
    dialog: HTMLDialogElement;
    open: (a: Ask) => void;
    /** The questions the buttons ask now. */
    key: string;
  } | null = null;
  const draw = (site: SiteView) => {
    const buttons = h('div', { class: 'actions' });
    const testOut = h('div', { id: 'api-test-out' });
    const commandOut = h('div', { id: 'command-out' });
    const { dialog, open } = commandDialog(site_id, commandOut, changed);
    element.append(h('h2', { id: 'ops-title' }, 'Operations'), buttons, commandOut, testOut, dialog);
    return { buttons, test: apiTest(site, testOut), dialog, open, key: '' };
  };
  return {
    element,
    update(site) {
      const shown = session.admin && (site.nodes.primary !== null || site.nodes.secondary !== null);
      element.hidden = !shown;
      if (!shown) return;
      drawn ??= draw(site);
      if (drawn.dialog.open) return;
      const { open } = drawn;
      const button = (id: string, label: string, a: Ask) =>
        h('button', { type: 'button', id, onclick: () => open(a) }, label);
      const { switchover, maintenance } = asks(site);
      // Redrawn only when the questions change, so a reload never takes the focus off a button.
      const key = JSON.stringify([switchover, maintenance]);
      if (key === drawn.key) return;
      drawn.key = key;
      drawn.buttons.replaceChildren(
        drawn.test,
        ...(switchover === null ? [] : [button('switchover', 'Switch over…', switchover)]),
        ...maintenance.map((a) =>
          button(
            `${a.command}-${a.role}`,
            `${a.role === 'primary' ? 'Primary' : 'Secondary'}: ${a.confirm.toLowerCase()}…`,
            a,
          ),
        ),
      );
    },
  };
}
