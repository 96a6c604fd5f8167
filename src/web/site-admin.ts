// What an admin changes on a site: its cloud settings and HA timers (validated by the API, whose refusal shows
// beside the field) and its secondary node (added with a one-time enrollment token; removed for
// good after a warning). Viewers get the same facts read-only and no write control at all.
import { call } from './api.js';
import { announce, h } from './dom.js';
import { clearErrors, field, lines, showError } from './forms.js';
import { session } from './session.js';
import type { SiteView } from './types.js';

/** Reload the site; the notice is shown once the forms are drawn again. */
type Changed = (notice?: string) => void;

function readOnly(site: SiteView): HTMLElement {
  const dl = h('dl', { class: 'settings' }, h('dt', {}, 'Name'), h('dd', {}, site.name));
  if (site.kind === 'aws') {
    dl.append(
      h('dt', {}, 'Route tables'),
      h('dd', {}, site.cloud.aws?.route_tables.join(', ') || 'none'),
      h('dt', {}, 'Destinations'),
      h('dd', {}, site.cloud.aws?.destinations.join(', ') || '0.0.0.0/0'),
    );
  } else if (site.kind === 'azure') {
    dl.append(
      h('dt', {}, 'Floating IP'),
      h('dd', {}, site.cloud.azure?.floating_ip ?? 'none'),
      h('dt', {}, 'Route tables'),
      h('dd', {}, site.cloud.azure?.route_tables?.join(', ') ?? "the nodes' own"),
      h('dt', {}, 'Prefixes'),
      h('dd', {}, site.cloud.azure?.prefixes?.join(', ') ?? "the nodes' own"),
    );
  }
  if (site.kind !== 'pathwatch') {
    const t = site.tunables;
    const own = "the nodes' own";
    dl.append(
      h('dt', {}, 'Keepalive interval'),
      h('dd', {}, t.interval_ms == null ? own : `${t.interval_ms} ms`),
      h('dt', {}, 'Dead multiplier'),
      h('dd', {}, t.dead_multiplier == null ? own : String(t.dead_multiplier)),
      h('dt', {}, 'Preemption'),
      h('dd', {}, t.preempt == null ? own : t.preempt ? 'on' : 'off'),
      h('dt', {}, 'Preempt delay'),
      h('dd', {}, t.preempt_delay_ms == null ? own : `${t.preempt_delay_ms} ms`),
    );
  }
  return dl;
}

/** The HA timers' fields; an empty field leaves each node's YAML value (sent as null). */
function tunableFields(site: SiteView): { fields: HTMLElement[]; body: () => Record<string, unknown> } {
  const t = site.tunables;
  const num = (id: string, v: number | null | undefined) =>
    h('input', { id, value: v == null ? '' : String(v), inputmode: 'numeric' });
  const interval = num('set-interval', t.interval_ms);
  const multiplier = num('set-dead-multiplier', t.dead_multiplier);
  const delay = num('set-preempt-delay', t.preempt_delay_ms);
  const preempt = h(
    'select',
    { id: 'set-preempt' },
    h('option', { value: '' }, "the nodes' own"),
    h('option', { value: 'on' }, 'on'),
    h('option', { value: 'off' }, 'off'),
  );
  preempt.value = t.preempt == null ? '' : t.preempt ? 'on' : 'off';
  // A number the API refuses (bounds, not a number) is shown beside its field by the API's own message.
  const value = (el: HTMLInputElement): number | string | null =>
    el.value.trim() === ''
      ? null
      : /^[0-9]+$/.test(el.value.trim())
        ? Number(el.value.trim())
        : el.value.trim();
  return {
    fields: [
      field(
        'Keepalive interval (ms)',
        interval,
        "empty: the nodes' own; both nodes take it without a failover",
      ),
      field('Dead multiplier', multiplier, 'the peer is dead after interval × this of silence'),
      field('Preemption', preempt),
      field('Preempt delay (ms)', delay, '0, or at least the interval'),
    ],
    body: () => ({
      interval_ms: value(interval),
      dead_multiplier: value(multiplier),
      preempt: preempt.value === '' ? null : preempt.value === 'on',
      preempt_delay_ms: value(delay),
    }),
  };
}

function settingsForm(site: SiteView, changed: Changed, notice: string): HTMLElement {
  const name = h('input', { id: 'set-name', value: site.name, required: true, maxlength: 128 });
  const tables = h('textarea', { id: 'set-route-tables', rows: 3 });
  tables.value = (site.cloud.aws?.route_tables ?? []).join('\n');
  const dests = h('textarea', { id: 'set-destinations', rows: 3 });
  dests.value = (site.cloud.aws?.destinations ?? ['0.0.0.0/0']).join('\n');
  const floating = h('input', { id: 'set-floating-ip', value: site.cloud.azure?.floating_ip ?? '' });
  const azTables = h('textarea', { id: 'set-azure-route-tables', rows: 3 });
  azTables.value = (site.cloud.azure?.route_tables ?? []).join('\n');
  const azPrefixes = h('textarea', { id: 'set-azure-prefixes', rows: 3 });
  azPrefixes.value = (site.cloud.azure?.prefixes ?? []).join('\n');
  const saved = h('p', { class: 'saved', role: 'status' }, notice);
  const timers = site.kind === 'pathwatch' ? null : tunableFields(site);
  const form = h(
    'form',
    { id: 'settings-form', novalidate: true },
    field('Name', name),
    site.kind === 'aws'
      ? [
          field('Route tables', tables, 'one id per line, e.g. rtb-0a1b2c3d'),
          field('Destinations', dests, 'CIDRs whose next hop follows the active node, one per line'),
        ]
      : null,
    site.kind === 'azure'
      ? [
          field('Floating IP', floating, 'inside both native ranges; empty for none'),
          field('Route tables', azTables, "names or ARM ids, one per line; empty: the nodes' own"),
          field(
            'Prefixes',
            azPrefixes,
            "CIDRs whose next hop follows the active node; empty: the nodes' own",
          ),
        ]
      : null,
    timers?.fields ?? null,
    h('p', { class: 'form-error', role: 'alert' }),
    h('button', { type: 'submit', class: 'primary' }, 'Save settings'),
    saved,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    saved.textContent = '';
    const body: Record<string, unknown> = { name: name.value.trim() };
    if (site.kind === 'aws')
      body.aws = { route_tables: lines(tables.value), destinations: lines(dests.value) };
    if (site.kind === 'azure') {
      const [t, p] = [lines(azTables.value), lines(azPrefixes.value)];
      body.azure = {
        floating_ip: floating.value.trim() === '' ? null : floating.value.trim(),
        ...(t.length > 0 ? { route_tables: t } : {}),
        ...(p.length > 0 ? { prefixes: p } : {}),
      };
    }
    if (timers !== null) body.tunables = timers.body();
    try {
      await call('PATCH', `/api/v1/sites/${encodeURIComponent(site.id)}`, body);
      changed('Saved.');
    } catch (err) {
      showError(form, err, {
        '/name': 'set-name',
        '/aws/route_tables': 'set-route-tables',
        '/aws/destinations': 'set-destinations',
        '/azure/floating_ip': 'set-floating-ip',
        '/azure/route_tables': 'set-azure-route-tables',
        '/azure/prefixes': 'set-azure-prefixes',
        '/azure': 'set-floating-ip',
        '/tunables/interval_ms': 'set-interval',
        '/tunables/dead_multiplier': 'set-dead-multiplier',
        '/tunables/preempt': 'set-preempt',
        '/tunables/preempt_delay_ms': 'set-preempt-delay',
      });
    }
  });
  return form;
}

export function settingsSection(site: SiteView, changed: Changed, notice = ''): HTMLElement {
  return h(
    'section',
    { 'aria-labelledby': 'set-title', id: 'settings' },
    h('h2', { id: 'set-title' }, site.kind === 'physical' ? 'Settings' : 'Cloud settings'),
    session.admin ? settingsForm(site, changed, notice) : readOnly(site),
  );
}

/** The token panel outlives the page's reloads: it is shown once and only until dismissed. */
let shownToken: { site_id: string; token: string; expires: number } | null = null;

function tokenPanel(changed: Changed): HTMLElement | null {
  if (shownToken === null) return null;
  const t = shownToken;
  const out = h('output', { id: 'enrollment-token', class: 'secret' }, t.token);
  const copied = h('span', { role: 'status', class: 'muted' });
  return h(
    'div',
    { class: 'card token', role: 'region', 'aria-label': 'Enrollment token' },
    h('p', {}, h('strong', {}, 'Enrollment token for the secondary — shown only this once.')),
    h(
      'p',
      { class: 'muted' },
      `Give it to the secondary's agent (tandem agent enrolls with it). It expires ${new Date(t.expires).toLocaleString()}.`,
    ),
    out,
    h(
      'div',
      { class: 'actions' },
      h(
        'button',
        {
          type: 'button',
          id: 'copy-token',
          onclick: async () => {
            try {
              await navigator.clipboard.writeText(t.token);
              copied.textContent = 'Copied.';
            } catch {
              getSelection()?.selectAllChildren(out);
              copied.textContent = 'Selected: press Ctrl+C to copy.';
            }
          },
        },
        'Copy',
      ),
      h(
        'button',
        {
          type: 'button',
          id: 'token-done',
          onclick: () => {
            shownToken = null;
            changed();
          },
        },
        'Done',
      ),
      copied,
    ),
  );
}

function addSecondaryForm(site: SiteView, changed: Changed): HTMLElement {
  const model = h('input', { id: 'sec-model', value: site.nodes.primary?.model ?? '', required: true });
  const ip = h('input', { id: 'sec-ip', required: true, inputmode: 'decimal' });
  const subnet = h('input', { id: 'sec-subnet', required: true, value: site.nodes.primary?.subnet ?? '' });
  const form = h(
    'form',
    { id: 'add-secondary', novalidate: true },
    h('p', {}, 'Adding a secondary turns HA on. The controller answers with a one-time enrollment token.'),
    field('Model', model),
    field('LAN address', ip, 'the node’s own address in its native range'),
    field('Native range', subnet, 'e.g. 10.0.17.0/24'),
    h('p', { class: 'form-error', role: 'alert' }),
    h('button', { type: 'submit', class: 'primary' }, 'Add secondary'),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    try {
      const r = await call<{ enrollment_token: string; enrollment_expires_at: number }>(
        'POST',
        `/api/v1/sites/${encodeURIComponent(site.id)}/nodes`,
        {
          role: 'secondary',
          model: model.value.trim(),
          mgmt_ip: ip.value.trim(),
          subnet: subnet.value.trim(),
        },
      );
      shownToken = { site_id: site.id, token: r.enrollment_token, expires: r.enrollment_expires_at };
      announce('Secondary added; its enrollment token is shown once.');
      changed();
    } catch (err) {
      showError(form, err, {
        '/model': 'sec-model',
        '/mgmt_ip': 'sec-ip',
        '/subnet': 'sec-subnet',
        '/role': 'sec-model',
      });
    }
  });
  return form;
}

function removeSecondary(site: SiteView, changed: Changed): HTMLElement {
  const error = h('p', { class: 'form-error', role: 'alert' });
  const dialog = h(
    'dialog',
    { id: 'remove-dialog', 'aria-labelledby': 'remove-title' },
    h('h2', { id: 'remove-title' }, 'Remove the secondary?'),
    h(
      'p',
      {},
      `HA is turned off for ${site.name}, and the secondary's credential and enrollment token stop working for good. `,
      h('strong', {}, 'This cannot be undone'),
      ': to have HA again, add a new secondary and enroll it.',
    ),
    error,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', id: 'remove-cancel', onclick: () => dialog.close() }, 'Cancel'),
      h(
        'button',
        {
          type: 'button',
          id: 'remove-confirm',
          class: 'danger',
          onclick: async () => {
            try {
              await call('DELETE', `/api/v1/sites/${encodeURIComponent(site.id)}/nodes/secondary`);
              dialog.close();
              announce('Secondary removed; HA is off.');
              changed();
            } catch (err) {
              error.textContent = err instanceof Error ? err.message : String(err);
            }
          },
        },
        'Remove secondary',
      ),
    ),
  );
  const open = h(
    'button',
    {
      type: 'button',
      id: 'remove-secondary',
      class: 'danger',
      onclick: () => {
        error.textContent = '';
        dialog.showModal();
        document.getElementById('remove-cancel')?.focus();
      },
    },
    'Remove secondary…',
  );
  return h('div', {}, open, dialog);
}

export function pairSection(site: SiteView, changed: Changed): HTMLElement {
  const admin = session.admin;
  const panel = shownToken?.site_id === site.id ? tokenPanel(changed) : null;
  let body: HTMLElement | null = null;
  // A pathwatch runs alone by design: the controller refuses a secondary.
  if (admin && site.nodes.secondary === null && site.nodes.primary !== null && site.kind !== 'pathwatch')
    body = addSecondaryForm(site, changed);
  else if (admin && site.nodes.secondary !== null) body = removeSecondary(site, changed);
  if (panel === null && body === null) return h('div', {});
  return h(
    'section',
    { 'aria-labelledby': 'sec-title', id: 'secondary' },
    h('h2', { id: 'sec-title' }, 'Secondary node'),
    panel,
    body,
  );
}
