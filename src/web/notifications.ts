// Notifications: channels (webhook, email) with a "send test" button, and the rules that send
// events to them. Viewers see both lists and no control that changes them.
import { call } from './api.js';
import { h } from './dom.js';
import { field, lines, showError } from './forms.js';
import type { Page } from './main.js';
import { session } from './session.js';
import { type Channel, EVENT_TYPES, type Rule } from './types.js';

function channelForm(done: () => void): HTMLElement {
  const name = h('input', { id: 'ch-name', required: true });
  const kind = h(
    'select',
    { id: 'ch-kind' },
    h('option', { value: 'webhook' }, 'webhook'),
    h('option', { value: 'email' }, 'email'),
  );
  const url = h('input', { id: 'ch-url', type: 'url', placeholder: 'https://…' });
  const secret = h('input', { id: 'ch-secret', type: 'password', autocomplete: 'new-password' });
  const to = h('input', { id: 'ch-to', placeholder: 'ops@example.com, oncall@example.com' });
  const webhookFields = h(
    'div',
    {},
    field('URL', url),
    field('Signing secret', secret, 'at least 16 characters; signs X-Tandem-Signature'),
  );
  const emailFields = h('div', { hidden: true }, field('To', to, 'addresses separated by commas'));
  kind.addEventListener('change', () => {
    webhookFields.hidden = kind.value !== 'webhook';
    emailFields.hidden = kind.value !== 'email';
  });
  const form = h(
    'form',
    { id: 'channel-form', class: 'card', novalidate: true },
    h('h3', {}, 'New channel'),
    field('Name', name),
    field('Kind', kind),
    webhookFields,
    emailFields,
    h('p', { class: 'form-error', role: 'alert' }),
    h('button', { type: 'submit', class: 'primary' }, 'Add channel'),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body =
      kind.value === 'webhook'
        ? { name: name.value.trim(), kind: 'webhook', url: url.value.trim(), secret: secret.value }
        : { name: name.value.trim(), kind: 'email', to: lines(to.value) };
    try {
      await call('POST', '/api/v1/channels', body);
      done();
    } catch (err) {
      showError(form, err, { '/name': 'ch-name', '/url': 'ch-url', '/secret': 'ch-secret', '/to': 'ch-to' });
    }
  });
  return form;
}

function ruleForm(channels: readonly Channel[], done: () => void): HTMLElement {
  const name = h('input', { id: 'rule-name', required: true });
  const channel = h(
    'select',
    { id: 'rule-channel' },
    ...channels.map((c) => h('option', { value: c.id }, c.name)),
  );
  const types = h(
    'select',
    { id: 'rule-types', multiple: true, size: 6 },
    ...EVENT_TYPES.map((t) => h('option', { value: t }, t)),
  );
  const form = h(
    'form',
    { id: 'rule-form', class: 'card', novalidate: true },
    h('h3', {}, 'New rule'),
    field('Name', name),
    field('Event types', types, 'none selected: every type'),
    field('Channel', channel),
    h('p', { class: 'form-error', role: 'alert' }),
    h('button', { type: 'submit', class: 'primary', disabled: channels.length === 0 }, 'Add rule'),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const event_types = [...types.selectedOptions].map((o) => o.value);
    try {
      await call('POST', '/api/v1/rules', {
        name: name.value.trim(),
        event_types,
        site_ids: [],
        channel_id: channel.value,
      });
      done();
    } catch (err) {
      showError(form, err, {
        '/name': 'rule-name',
        '/event_types': 'rule-types',
        '/channel_id': 'rule-channel',
      });
    }
  });
  return form;
}

function channelRow(c: Channel, admin: boolean, done: () => void): HTMLElement {
  const result = h('span', { class: 'test-result', role: 'status' });
  const test = h(
    'button',
    {
      type: 'button',
      class: 'send-test',
      onclick: async () => {
        result.textContent = 'sending…';
        try {
          const r = await call<{ ok: boolean; error: string | null }>(
            'POST',
            `/api/v1/channels/${encodeURIComponent(c.id)}/test`,
          );
          result.textContent = r.ok ? 'sent ✓' : `failed: ${r.error ?? 'unknown error'}`;
          result.className = `test-result ${r.ok ? 'ok' : 'bad'}`;
        } catch (err) {
          result.textContent = `failed: ${err instanceof Error ? err.message : String(err)}`;
          result.className = 'test-result bad';
        }
      },
    },
    'Send test',
  );
  const remove = h(
    'button',
    {
      type: 'button',
      class: 'danger',
      onclick: async () => {
        if (!confirm(`Delete channel ${c.name} and its rules?`)) return;
        await call('DELETE', `/api/v1/channels/${encodeURIComponent(c.id)}`);
        done();
      },
    },
    'Delete',
  );
  return h(
    'tr',
    { 'data-channel': c.name },
    h('td', {}, c.name),
    h('td', {}, c.kind),
    h('td', {}, c.kind === 'webhook' ? (c.url ?? '') : (c.to ?? []).join(', ')),
    h('td', {}, admin ? [test, ' ', remove, ' ', result] : ''),
  );
}

export const notificationsPage: Page = (main) => {
  const admin = session.admin;
  const body = h('div', {});
  main.append(h('h1', {}, 'Notifications'), body);
  let alive = true;

  async function load(): Promise<void> {
    const [{ channels }, { rules }] = await Promise.all([
      call<{ channels: Channel[] }>('GET', '/api/v1/channels'),
      call<{ rules: Rule[] }>('GET', '/api/v1/rules'),
    ]);
    if (!alive) return;
    const names = new Map(channels.map((c) => [c.id, c.name]));
    const reload = () => void load();
    body.replaceChildren(
      h('h2', {}, 'Channels'),
      h(
        'table',
        { id: 'channels' },
        h(
          'thead',
          {},
          h('tr', {}, ...['Name', 'Kind', 'Sends to', ''].map((t) => h('th', { scope: 'col' }, t))),
        ),
        h(
          'tbody',
          {},
          channels.length === 0
            ? h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'no channel yet'))
            : channels.map((c) => channelRow(c, admin, reload)),
        ),
      ),
      admin ? channelForm(reload) : '',
      h('h2', {}, 'Rules'),
      h(
        'table',
        { id: 'rules' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['Name', 'Event types', 'Sites', 'Channel', ''].map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
        h(
          'tbody',
          {},
          rules.length === 0
            ? h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'no rule yet'))
            : rules.map((r) =>
                h(
                  'tr',
                  {},
                  h('td', {}, r.name),
                  h('td', {}, r.event_types.length === 0 ? 'every type' : r.event_types.join(', ')),
                  h('td', {}, r.site_ids.length === 0 ? 'every site' : `${r.site_ids.length} sites`),
                  h('td', {}, names.get(r.channel_id) ?? r.channel_id),
                  h(
                    'td',
                    {},
                    admin
                      ? h(
                          'button',
                          {
                            type: 'button',
                            class: 'danger',
                            onclick: async () => {
                              await call('DELETE', `/api/v1/rules/${encodeURIComponent(r.id)}`);
                              reload();
                            },
                          },
                          'Delete',
                        )
                      : '',
                  ),
                ),
              ),
        ),
      ),
      admin ? ruleForm(channels, reload) : '',
    );
  }
  void load();
  return () => {
    alive = false;
  };
};
