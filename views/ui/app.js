/*
 * WhatsAppB24 admin pages (main page and the connector settings placement). Plain JS, no framework.
 * Data comes from the JSON API with the Bitrix24 frontend auth the page was opened with (X-B24-Auth).
 * Everything user-supplied is put into the page as text nodes, never as HTML.
 */
(function () {
  'use strict';
  var boot = JSON.parse(document.getElementById('boot').textContent);
  var T = function (k) {
    return Object.prototype.hasOwnProperty.call(boot.texts, k) ? boot.texts[k] : k;
  };
  var view = document.getElementById('view');
  var STATUSES = ['active', 'interrupted', 'inactive', 'pending'];

  // ------------------------------------------------------------------ helpers

  function api(method, path, body) {
    var headers = { 'x-b24-auth': boot.auth };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fetch('/api/v1' + path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (res) {
      return res.text().then(function (text) {
        var data = null;
        try {
          data = text ? JSON.parse(text) : null;
        } catch (e) {
          data = null;
        }
        if (!res.ok) {
          var msg =
            res.status === 401
              ? T('common.expired')
              : res.status === 403
                ? T('common.forbidden')
                : (data && data.error && data.error.message) || 'HTTP ' + res.status;
          var err = new Error(msg);
          err.status = res.status;
          throw err;
        }
        return data;
      });
    });
  }

  function h(tag, attrs) {
    var el = document.createElement(tag);
    var a = attrs || {};
    Object.keys(a).forEach(function (k) {
      var v = a[k];
      if (v === undefined || v === null || v === false) return;
      if (k === 'text') el.textContent = v;
      else if (k === 'class') el.className = v;
      else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
      else if (k === 'value') el.value = v;
      else if (k === 'checked' || k === 'disabled' || k === 'selected') el[k] = !!v;
      else el.setAttribute(k, v === true ? '' : String(v));
    });
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  function append(el, c) {
    if (c === undefined || c === null || c === false) return;
    if (Array.isArray(c)) c.forEach(function (x) { append(el, x); });
    else el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
    return el;
  }
  function notice(kind, text) {
    return h('div', { class: 'notice ' + kind, role: kind === 'error' ? 'alert' : 'status', text: text });
  }
  function fmtDate(iso, withTime) {
    if (!iso) return T('common.none');
    var d = new Date(iso);
    var o = { year: 'numeric', month: 'short', day: 'numeric' };
    if (withTime) {
      o.hour = '2-digit';
      o.minute = '2-digit';
      o.second = '2-digit';
    }
    return d.toLocaleString(boot.lang, o);
  }
  function field(label, input, wide) {
    return h('label', { class: 'f' + (wide ? ' wide' : '') }, label, input);
  }
  function select(name, options, value) {
    var s = h('select', { name: name });
    options.forEach(function (o) {
      s.appendChild(h('option', { value: String(o[0]), text: o[1], selected: String(o[0]) === String(value) }));
    });
    return s;
  }
  function copyBox(value) {
    var input = h('input', { type: 'text', readonly: true, value: value, 'data-copy': true });
    var btn = h('button', {
      type: 'button',
      class: 'btn small',
      text: T('common.copy'),
      onclick: function () {
        input.select();
        var done = function () { btn.textContent = T('common.copied'); };
        if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(value).then(done, function () { document.execCommand('copy'); done(); });
        else { document.execCommand('copy'); done(); }
      },
    });
    return h('div', { class: 'copy' }, input, btn);
  }

  /** A modal dialog. `build(body, close)` fills it; `onOk(form)` returns a promise (or false to keep it open). */
  function dialog(title, build, onOk, okText, okClass) {
    var overlay = h('div', { class: 'overlay' });
    var msg = h('div');
    var body = h('div');
    var close = function () { overlay.remove(); };
    var ok = h('button', { type: 'submit', class: 'btn ' + (okClass || 'success'), text: okText || T('common.save') });
    var form = h(
      'form',
      { class: 'dialog', role: 'dialog', 'aria-label': title },
      h('h2', { text: title }),
      msg,
      body,
      h('div', { class: 'actions' }, onOk ? ok : null, h('button', { type: 'button', class: 'btn dlg-close', text: onOk ? T('common.cancel') : T('common.close'), onclick: close })),
    );
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      clear(msg);
      ok.disabled = true;
      Promise.resolve()
        .then(function () { return onOk(form, body, close); })
        .then(function (keep) { if (!keep) close(); })
        .catch(function (err) { msg.appendChild(notice('error', err.message)); })
        .then(function () { ok.disabled = false; });
    });
    build(body, close);
    overlay.appendChild(form);
    document.body.appendChild(overlay);
    var first = form.querySelector('input:not([readonly]),select');
    if (first) first.focus();
    return { form: form, msg: msg, body: body, close: close };
  }
  function confirmBox(title, text, okText, action) {
    return dialog(title, function (b) { b.appendChild(h('p', { text: text })); }, action, okText, 'primary');
  }
  function formData(form) {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name) return;
      if (el.type === 'checkbox') out[el.name] = el.checked;
      else if (el.value !== '') out[el.name] = el.value;
    });
    return out;
  }

  // ------------------------------------------------------------------ shared state

  var state = { lines: [], channels: [], requests: [], health: {} };
  function loadLines() {
    return api('GET', '/lines').then(function (r) { state.lines = r.items; }).catch(function () { state.lines = []; });
  }
  function lineName(id) {
    var l = state.lines.find(function (x) { return x.id === id; });
    return l ? l.name + ' (#' + id + ')' : id ? '#' + id : T('common.none');
  }

  // ------------------------------------------------------------------ channel dialogs

  function connectDialog(onDone, lineId) {
    dialog(
      T('ch.connect'),
      function (b) {
        b.appendChild(h('p', { class: 'muted', text: T('ch.verifyNote') }));
        b.appendChild(
          h(
            'div',
            { class: 'fields' },
            field(T('ch.name'), h('input', { type: 'text', name: 'name', required: true, maxlength: 100 })),
            field(T('ch.company'), h('input', { type: 'text', name: 'companyName', value: boot.defaults.companyName, maxlength: 100 })),
            field(T('ch.appName'), h('input', { type: 'text', name: 'gupshupAppName', required: true, maxlength: 64 })),
            field(T('ch.appId'), h('input', { type: 'text', name: 'gupshupAppId', required: true, maxlength: 64 })),
            field(T('ch.sourceNumber'), h('input', { type: 'text', name: 'sourceNumber', required: true, placeholder: '5491100000000' })),
            field(T('ch.apiKey'), h('input', { type: 'password', name: 'apiKey', required: true, autocomplete: 'off' })),
            field(T('ch.waba'), h('input', { type: 'text', name: 'wabaId' })),
            field(T('ch.line'), select('lineId', [['', T('common.none')]].concat(state.lines.map(function (l) { return [l.id, l.name]; })), lineId || '')),
          ),
        );
      },
      function (form, body) {
        return api('POST', '/channels', formData(form)).then(function (ch) {
          clear(body);
          body.appendChild(notice('ok', T('ch.created')));
          body.appendChild(h('p', { text: T('ch.callbackHelp') }));
          body.appendChild(field(T('ch.callback'), copyBox(ch.callbackUrl)));
          form.querySelector('button[type=submit]').remove();
          form.querySelector('.dlg-close').textContent = T('common.close');
          if (onDone) onDone(ch);
          return true;
        });
      },
    );
  }

  function requestDialog(onDone) {
    dialog(
      T('ch.request'),
      function (b) {
        b.appendChild(h('p', { class: 'muted', text: T('ch.requestNote') }));
        b.appendChild(
          h(
            'div',
            { class: 'fields' },
            field(T('ch.company'), h('input', { type: 'text', name: 'companyName', required: true, value: boot.defaults.companyName, maxlength: 100 }), true),
            field(T('ch.contact'), h('input', { type: 'text', name: 'contactName', required: true, value: boot.defaults.contactName, maxlength: 100 })),
            field(T('ch.email'), h('input', { type: 'email', name: 'contactEmail' })),
            field(T('ch.phone'), h('input', { type: 'text', name: 'contactPhone' })),
          ),
        );
      },
      function (form) {
        return api('POST', '/number-requests', formData(form)).then(function () {
          if (onDone) onDone();
        });
      },
      T('ch.request'),
    );
  }

  function editDialog(ch, onDone) {
    dialog(
      T('ch.editTitle'),
      function (b) {
        b.appendChild(
          h(
            'div',
            { class: 'fields' },
            field(T('ch.company'), h('input', { type: 'text', value: ch.companyName || T('common.none'), readonly: true, disabled: true }), true),
            field(T('ch.name'), h('input', { type: 'text', name: 'name', value: ch.name, required: true })),
            field(T('ch.appName'), h('input', { type: 'text', name: 'gupshupAppName', value: ch.gupshupAppName, required: true })),
            field(T('ch.appId'), h('input', { type: 'text', name: 'gupshupAppId', value: ch.gupshupAppId || '' })),
            field(T('ch.sourceNumber'), h('input', { type: 'text', name: 'sourceNumber', value: ch.sourceNumber, required: true })),
            field(T('ch.apiKey'), h('input', { type: 'password', name: 'apiKey', placeholder: T('ch.apiKeyKeep'), autocomplete: 'off' })),
            field(T('ch.waba'), h('input', { type: 'text', name: 'wabaId', value: ch.wabaId || '' })),
            field(T('ch.callback'), copyBox(ch.callbackUrl), true),
          ),
        );
      },
      function (form) {
        var d = formData(form);
        if (ch.gupshupAppId && d.gupshupAppId === ch.gupshupAppId) delete d.gupshupAppId;
        if (!d.wabaId) d.wabaId = '';
        return api('PATCH', '/channels/' + ch.id, d).then(onDone);
      },
    );
  }

  function activateDialog(ch, onDone, fixedLine) {
    var used = {};
    state.channels.forEach(function (c) { if (c.lineId && c.id !== ch.id) used[c.lineId] = c.name; });
    dialog(
      T('ch.activateTitle'),
      function (b) {
        b.appendChild(h('p', { text: T('ch.activateText') }));
        if (!fixedLine) {
          var free = state.lines.filter(function (l) { return !used[l.id]; });
          b.appendChild(field(T('ch.pickLine'), select('lineId', free.map(function (l) { return [l.id, l.name + ' (#' + l.id + ')']; }), ch.lineId || (free[0] && free[0].id))));
        }
      },
      function (form) {
        var line = fixedLine || Number(formData(form).lineId);
        return api('POST', '/channels/' + ch.id + '/activate', { lineId: line }).then(onDone);
      },
      T('common.confirm'),
    );
  }

  function deactivateDialog(ch, onDone) {
    confirmBox(T('ch.deactivateTitle'), T('ch.deactivateText'), T('common.confirm'), function () {
      return api('POST', '/channels/' + ch.id + '/deactivate', {}).then(onDone);
    });
  }

  // ------------------------------------------------------------------ Channels tab

  var chFilter = { status: '', line: '' };
  function channelsTab() {
    clear(view).appendChild(h('p', { class: 'muted', text: T('common.loading') }));
    var reload = function () { channelsTab(); };
    return Promise.all([
      loadLines(),
      api('GET', '/channels/details').then(function (r) { state.channels = r.items; }),
      boot.admin ? api('GET', '/number-requests').then(function (r) { state.requests = r.items; }) : Promise.resolve(),
    ])
      .then(function () {
        clear(view);
        if (!boot.admin) view.appendChild(notice('info', T('common.adminOnly')));
        var stSel = select('status', [['', T('common.all')]].concat(STATUSES.map(function (s) { return [s, T('status.' + s)]; })), chFilter.status);
        var lnSel = select('line', [['', T('common.all')]].concat(state.lines.map(function (l) { return [l.id, l.name]; })), chFilter.line);
        stSel.onchange = function () { chFilter.status = stSel.value; renderRows(); };
        lnSel.onchange = function () { chFilter.line = lnSel.value; renderRows(); };
        view.appendChild(
          h(
            'div',
            { class: 'toolbar' },
            field(T('ch.filterStatus'), stSel),
            field(T('ch.filterLine'), lnSel),
            h('div', { class: 'grow' }),
            boot.admin ? h('button', { type: 'button', class: 'btn primary', id: 'connect', text: T('ch.connect'), onclick: function () { connectDialog(reload); } }) : null,
            boot.admin ? h('button', { type: 'button', class: 'btn', id: 'request', text: T('ch.request'), onclick: function () { requestDialog(reload); } }) : null,
          ),
        );
        var tbody = h('tbody');
        view.appendChild(
          h(
            'table',
            { id: 'channels' },
            h('thead', {}, h('tr', {}, [T('ch.name'), T('ch.number'), T('ch.line'), T('ch.status'), T('ch.paidUntil'), T('ch.health'), T('ch.active'), ''].map(function (x) { return h('th', { text: x }); }))),
            tbody,
          ),
        );
        var empty = h('p', { class: 'muted center', text: T('ch.empty') });
        view.appendChild(empty);

        function renderRows() {
          clear(tbody);
          var rows = state.channels.filter(function (c) {
            return (!chFilter.status || c.status === chFilter.status) && (!chFilter.line || String(c.lineId) === chFilter.line);
          });
          rows.forEach(function (c) {
            var on = c.status === 'active' || c.status === 'interrupted';
            var sw = h('input', { type: 'checkbox', checked: on, disabled: !boot.admin, 'aria-label': T('ch.active') + ' ' + c.name });
            sw.onchange = function () {
              sw.checked = on;
              if (on) deactivateDialog(c, reload);
              else activateDialog(c, reload);
            };
            var hs = state.health[c.id];
            tbody.appendChild(
              h(
                'tr',
                { 'data-channel': c.id },
                h('td', {}, h('div', { text: c.name }), c.companyName ? h('div', { class: 'muted', text: c.companyName }) : null),
                h('td', { text: '+' + c.sourceNumber }),
                h('td', { text: lineName(c.lineId) }),
                h('td', {}, h('span', { class: 'badge ' + c.status, text: T('status.' + c.status) }), c.statusReason && c.status !== 'active' ? h('div', { class: 'muted', text: c.statusReason }) : null),
                h('td', {}, h('div', { text: fmtDate(c.paidUntil) }), h('span', { class: 'badge ' + c.subscription, text: T('ch.sub.' + c.subscription) })),
                h('td', {}, healthStrip(hs)),
                h('td', {}, h('label', { class: 'switch' }, sw, h('span'))),
                h(
                  'td',
                  {},
                  boot.admin ? h('button', { type: 'button', class: 'btn small', text: T('common.edit'), onclick: function () { editDialog(c, reload); } }) : null,
                  ' ',
                  boot.admin
                    ? h('button', {
                        type: 'button',
                        class: 'btn small danger',
                        text: T('common.delete'),
                        onclick: function () {
                          confirmBox(T('ch.deleteTitle'), T('ch.deleteText'), T('common.delete'), function () { return api('DELETE', '/channels/' + c.id).then(reload); });
                        },
                      })
                    : null,
                ),
              ),
            );
          });
          var reqs = state.requests.filter(function () { return !chFilter.status || chFilter.status === 'pending'; });
          reqs.forEach(function (r) {
            if (chFilter.line && String(r.lineId) !== chFilter.line) return;
            tbody.appendChild(
              h(
                'tr',
                { 'data-request': r.id },
                h('td', {}, h('div', { text: r.companyName }), h('div', { class: 'muted', text: r.contactName })),
                h('td', { text: T('common.none') }),
                h('td', { text: lineName(r.lineId) }),
                h('td', {}, h('span', { class: 'badge requested', text: T('status.requested') })),
                h('td', { text: T('common.none') }),
                h('td'),
                h('td'),
                h('td', {}, h('button', { type: 'button', class: 'btn small danger', text: T('common.cancel'), onclick: function () { api('DELETE', '/number-requests/' + r.id).then(reload); } })),
              ),
            );
          });
          empty.hidden = tbody.children.length > 0;
        }
        renderRows();
        api('GET', '/channels/health')
          .then(function (r) {
            r.items.forEach(function (x) { state.health[x.channelId] = x; });
            renderRows();
          })
          .catch(function () {});
      })
      .catch(showError);
  }

  function healthStrip(hs) {
    var dot = function (v, label) {
      return h('span', { class: 'dot' + (v === true ? ' g' : v === false ? ' r' : ''), title: label, 'aria-label': label + ': ' + (v === true ? T('common.yes') : v === false ? T('common.no') : T('common.none')) });
    };
    if (!hs) return h('div', { class: 'health muted', text: '…' });
    return h(
      'div',
      { class: 'health', 'data-health': true },
      h('span', {}, dot(hs.tokenOk, T('health.token')), dot(hs.connectorActive, T('health.connector')), dot(hs.gupshupOk, T('health.gupshup'))),
      h('span', { title: T('health.webhook') }, T('health.webhook') + ': ' + (hs.lastWebhookAt ? fmtDate(hs.lastWebhookAt, true) : T('health.never'))),
    );
  }

  // ------------------------------------------------------------------ Roles tab

  var roles = { channelId: '', search: '', department: '', users: [], next: null, saved: {}, pending: {}, depts: [] };
  function roleKey(ch, u) { return ch + ':' + u; }
  function rolesTab() {
    clear(view).appendChild(h('p', { class: 'muted', text: T('common.loading') }));
    if (!boot.admin) {
      clear(view).appendChild(notice('info', T('common.adminOnly')));
      return Promise.resolve();
    }
    return Promise.all([
      api('GET', '/channels/details').then(function (r) { state.channels = r.items; }),
      api('GET', '/roles'),
      api('GET', '/portal/departments').then(function (r) { roles.depts = r.items; }).catch(function () { roles.depts = []; }),
      api('GET', '/crm/pipelines').catch(function () { return null; }),
    ])
      .then(function (res) {
        var data = res[1];
        var crmLists = res[3];
        roles.saved = {};
        roles.pending = {};
        data.roles.forEach(function (r) { roles.saved[roleKey(r.channelId, r.userId)] = r; });
        clear(view);
        if (!state.channels.length) {
          view.appendChild(notice('info', T('roles.noChannels')));
          return;
        }
        if (!roles.channelId || !state.channels.some(function (c) { return c.id === roles.channelId; })) roles.channelId = state.channels[0].id;
        view.appendChild(h('p', { class: 'muted', text: T('roles.intro') }));
        var chSel = select('channel', state.channels.map(function (c) { return [c.id, c.name + ' (+' + c.sourceNumber + ')']; }), roles.channelId);
        var search = h('input', { type: 'search', name: 'search', value: roles.search, placeholder: T('common.search') });
        var dept = select('department', [['', T('common.all')]].concat(roles.depts.map(function (d) { return [d.id, d.name]; })), roles.department);
        var tbody = h('tbody');
        var more = h('button', { type: 'button', class: 'btn', text: T('common.more') });
        var msg = h('div');
        var apply = h('button', { type: 'button', class: 'btn success', id: 'roles-apply', text: T('common.apply') });
        var cancel = h('button', { type: 'button', class: 'btn', id: 'roles-cancel', text: T('common.cancel') });
        chSel.onchange = function () { roles.channelId = chSel.value; renderUsers(); renderCrm(); };
        var timer;
        search.oninput = function () { clearTimeout(timer); timer = setTimeout(function () { roles.search = search.value; loadUsers(true); }, 300); };
        dept.onchange = function () { roles.department = dept.value; loadUsers(true); };
        more.onclick = function () { loadUsers(false); };
        cancel.onclick = function () { roles.pending = {}; clear(msg); renderUsers(); };
        apply.onclick = function () {
          var changes = Object.keys(roles.pending).map(function (k) { return roles.pending[k]; });
          if (!changes.length) return;
          apply.disabled = true;
          api('PUT', '/roles', { changes: changes })
            .then(function () {
              changes.forEach(function (c) { roles.saved[roleKey(c.channelId, c.userId)] = c; });
              roles.pending = {};
              clear(msg).appendChild(notice('ok', T('common.saved')));
              renderUsers();
            })
            .catch(function (e) { clear(msg).appendChild(notice('error', e.message)); })
            .then(function () { apply.disabled = false; });
        };
        view.appendChild(h('div', { class: 'toolbar' }, field(T('roles.channel'), chSel), field(T('common.search'), search), field(T('roles.department'), dept)));
        view.appendChild(msg);
        view.appendChild(
          h(
            'table',
            { id: 'roles' },
            h('thead', {}, h('tr', {}, [T('roles.user'), T('roles.qc'), T('roles.sales'), T('roles.boss')].map(function (x) { return h('th', { text: x }); }))),
            tbody,
          ),
        );
        view.appendChild(h('div', { class: 'toolbar', style: 'margin-top:12px' }, apply, cancel, h('div', { class: 'grow' }), more));
        var crmBox = h('div', { class: 'card', style: 'padding:14px 0 0;margin:0' });
        view.appendChild(crmBox);

        function current(u) {
          var k = roleKey(roles.channelId, u.id);
          return roles.pending[k] || roles.saved[k] || { channelId: roles.channelId, userId: u.id, userName: u.name, qualityControl: false, salesRep: false, receivesNew: false, boss: false };
        }
        function setRole(u, patch) {
          var c = Object.assign({}, current(u), patch, { userName: u.name });
          if (!c.salesRep) c.receivesNew = false;
          roles.pending[roleKey(roles.channelId, u.id)] = c;
          renderUsers();
        }
        function box(u, prop, label) {
          var c = current(u);
          return h('input', { type: 'checkbox', checked: c[prop], 'aria-label': label + ' ' + u.name, 'data-role': prop, onchange: function (e) { var p = {}; p[prop] = e.target.checked; setRole(u, p); } });
        }
        function renderUsers() {
          clear(tbody);
          roles.users.forEach(function (u) {
            var c = current(u);
            tbody.appendChild(
              h(
                'tr',
                { 'data-user': u.id },
                h('td', {}, h('div', { text: u.name }), u.position ? h('div', { class: 'muted', text: u.position }) : null),
                h('td', {}, box(u, 'qualityControl', T('roles.qc'))),
                h(
                  'td',
                  {},
                  box(u, 'salesRep', T('roles.sales')),
                  ' ',
                  h('label', { class: 'muted' }, h('input', { type: 'checkbox', checked: c.receivesNew, disabled: !c.salesRep, 'data-role': 'receivesNew', 'aria-label': T('roles.newClients') + ' ' + u.name, onchange: function (e) { setRole(u, { receivesNew: e.target.checked }); } }), ' ' + T('roles.newClients')),
                ),
                h('td', {}, box(u, 'boss', T('roles.boss'))),
              ),
            );
          });
          more.hidden = roles.next === null;
          apply.disabled = Object.keys(roles.pending).length === 0;
          cancel.disabled = apply.disabled;
        }
        function loadUsers(reset) {
          var start = reset ? 0 : roles.next || 0;
          var qs = '?start=' + start + (roles.search ? '&search=' + encodeURIComponent(roles.search) : '') + (roles.department ? '&department=' + roles.department : '');
          return api('GET', '/portal/users' + qs)
            .then(function (r) {
              roles.users = reset ? r.items : roles.users.concat(r.items);
              roles.next = r.next;
              renderUsers();
            })
            .catch(function (e) { clear(msg).appendChild(notice('error', e.message)); });
        }
        function renderCrm() {
          clear(crmBox);
          if (!crmLists) return;
          var cur = data.crm.find(function (c) { return c.channelId === roles.channelId; }) || { entity: 'lead', categoryId: null, stageId: null };
          var ent = select('entity', [['lead', T('roles.lead')], ['deal', T('roles.deal')]], cur.entity);
          var pipe = select('categoryId', crmLists.pipelines.map(function (p) { return [p.id, p.name]; }), cur.categoryId === null ? 0 : cur.categoryId);
          var stage = h('select', { name: 'stageId' });
          var out = h('span');
          function fillStages() {
            clear(stage);
            var list = ent.value === 'lead' ? crmLists.leadStages : ((crmLists.pipelines.find(function (p) { return String(p.id) === pipe.value; }) || {}).stages || []);
            list.forEach(function (s) { stage.appendChild(h('option', { value: s.id, text: s.name, selected: s.id === cur.stageId })); });
            pipe.disabled = ent.value === 'lead';
          }
          ent.onchange = fillStages;
          pipe.onchange = fillStages;
          fillStages();
          var save = h('button', {
            type: 'button',
            class: 'btn',
            id: 'crm-save',
            text: T('common.save'),
            onclick: function () {
              var body = { entity: ent.value, categoryId: ent.value === 'deal' ? Number(pipe.value) : null, stageId: stage.value || null };
              api('PUT', '/channels/' + roles.channelId + '/crm', body)
                .then(function (r) {
                  data.crm = data.crm.filter(function (c) { return c.channelId !== r.channelId; }).concat([r]);
                  clear(out).appendChild(h('span', { class: 'ok', text: T('common.saved') }));
                })
                .catch(function (e) { clear(out).appendChild(h('span', { class: 'err', text: e.message })); });
            },
          });
          crmBox.appendChild(h('h2', { text: T('roles.crm') }));
          crmBox.appendChild(h('div', { class: 'toolbar' }, field(T('roles.entity'), ent), field(T('roles.pipeline'), pipe), field(T('roles.stage'), stage), save, out));
        }
        renderCrm();
        return loadUsers(true);
      })
      .catch(showError);
  }

  // ------------------------------------------------------------------ Trace tab

  var tr = { channelId: '', direction: '', status: '', from: '', to: '' };
  function traceTab() {
    clear(view).appendChild(h('p', { class: 'muted', text: T('common.loading') }));
    return api('GET', '/channels/details')
      .then(function (r) { state.channels = r.items; })
      .catch(function () { state.channels = []; })
      .then(function () {
        clear(view);
        var chName = function (id) { var c = state.channels.find(function (x) { return x.id === id; }); return c ? c.name : id.slice(0, 8); };
        var f = {
          channelId: select('channelId', [['', T('common.all')]].concat(state.channels.map(function (c) { return [c.id, c.name]; })), tr.channelId),
          direction: select('direction', [['', T('common.all')], ['in', T('trace.in')], ['out', T('trace.out')]], tr.direction),
          status: select('status', [['', T('common.all')]].concat(['received', 'queued', 'sent', 'delivered', 'read', 'failed', 'dead'].map(function (s) { return [s, s === 'dead' ? T('trace.dead') : s]; })), tr.status),
          from: h('input', { type: 'date', name: 'from', value: tr.from }),
          to: h('input', { type: 'date', name: 'to', value: tr.to }),
        };
        view.appendChild(
          h('div', { class: 'toolbar' }, field(T('trace.channel'), f.channelId), field(T('trace.direction'), f.direction), field(T('trace.status'), f.status), field(T('trace.from'), f.from), field(T('trace.to'), f.to)),
        );
        var msg = h('div');
        var tbody = h('tbody');
        var more = h('button', { type: 'button', class: 'btn', text: T('common.more') });
        var empty = h('p', { class: 'muted center', text: T('trace.empty') });
        view.appendChild(msg);
        view.appendChild(h('table', { id: 'trace' }, h('thead', {}, h('tr', {}, ['#', T('trace.when'), T('trace.channel'), T('trace.direction'), T('trace.status'), T('trace.error'), T('trace.history'), ''].map(function (x) { return h('th', { text: x }); }))), tbody));
        view.appendChild(empty);
        view.appendChild(h('div', { class: 'toolbar', style: 'margin-top:12px' }, more));
        var cursor = null;
        Object.keys(f).forEach(function (k) { f[k].onchange = function () { tr[k] = f[k].value; load(true); }; });
        more.onclick = function () { load(false); };
        function row(m) {
          var hist = h('ol', { class: 'hist', hidden: true });
          m.history.forEach(function (x) {
            hist.appendChild(h('li', { text: fmtDate(x.at, true) + ' · ' + x.level + ' · ' + x.step + (x.code ? ' [' + x.code + ']' : '') + (x.detail ? ' — ' + x.detail : '') }));
          });
          var replay = m.status === 'dead' && boot.can && boot.can.replay
            ? h('button', {
                type: 'button',
                class: 'btn small primary',
                text: T('trace.replay'),
                onclick: function (e) {
                  e.target.disabled = true;
                  api('POST', '/messages/' + m.id + '/replay', {})
                    .then(function () { clear(msg).appendChild(notice('ok', T('trace.replayed'))); load(true); })
                    .catch(function (err) { clear(msg).appendChild(notice('error', err.message)); e.target.disabled = false; });
                },
              })
            : null;
          return h(
            'tr',
            { 'data-message': m.id },
            h('td', { text: String(m.id) }),
            h('td', { text: fmtDate(m.createdAt, true) }),
            h('td', { text: chName(m.channelId) }),
            h('td', { text: m.direction === 'in' ? T('trace.in') : T('trace.out') }),
            h('td', {}, h('span', { class: 'badge ' + m.status, text: m.status === 'dead' ? T('trace.dead') : m.status })),
            h('td', { text: m.error ? (m.error.code || '') + (m.error.detail ? ' ' + m.error.detail : '') : '' }),
            h('td', {}, h('button', { type: 'button', class: 'btn small', text: T('trace.history') + ' (' + m.history.length + ')', onclick: function () { hist.hidden = !hist.hidden; } }), hist),
            h('td', {}, replay),
          );
        }
        function load(reset) {
          if (reset) cursor = null;
          var qs = Object.keys(tr).filter(function (k) { return tr[k]; }).map(function (k) { return k + '=' + encodeURIComponent(tr[k]); });
          if (cursor) qs.push('cursor=' + cursor);
          qs.push('limit=50');
          return api('GET', '/messages?' + qs.join('&'))
            .then(function (r) {
              if (reset) clear(tbody);
              r.items.forEach(function (m) { tbody.appendChild(row(m)); });
              cursor = r.nextCursor;
              more.hidden = !cursor;
              empty.hidden = tbody.children.length > 0;
            })
            .catch(function (e) { clear(msg).appendChild(notice('error', e.message)); });
        }
        return load(true);
      });
  }

  // ------------------------------------------------------------------ Settings tab

  var settingsChannel = '';
  function settingsTab() {
    clear(view).appendChild(h('p', { class: 'muted', text: T('common.loading') }));
    if (!boot.admin) {
      clear(view).appendChild(notice('info', T('common.adminOnly')));
      return Promise.resolve();
    }
    return Promise.all([api('GET', '/channels/details'), api('GET', '/tokens'), api('GET', '/portal')])
      .then(function (res) {
        state.channels = res[0].items;
        clear(view);
        var info = h('dl', { class: 'grid2', id: 'channel-settings' });
        if (state.channels.length) {
          if (!state.channels.some(function (c) { return c.id === settingsChannel; })) settingsChannel = state.channels[0].id;
          var sel = select('channel', state.channels.map(function (c) { return [c.id, c.name + ' (+' + c.sourceNumber + ')']; }), settingsChannel);
          sel.onchange = function () { settingsChannel = sel.value; loadInfo(); };
          view.appendChild(h('div', { class: 'toolbar' }, field(T('set.channel'), sel)));
          view.appendChild(info);
        } else {
          view.appendChild(notice('info', T('ch.empty')));
        }
        function loadInfo() {
          clear(info).appendChild(h('dd', { class: 'muted', text: T('common.loading') }));
          api('GET', '/channels/' + settingsChannel + '/settings')
            .then(function (s) {
              var na = T('common.notAvailable');
              var rows = [
                [T('set.appName'), s.appName],
                [T('set.appId'), s.appId || T('common.none')],
                [T('set.mode'), s.mode === 'sandbox' ? T('set.sandbox') : T('set.live')],
                [T('set.waba'), s.wabaId || T('common.none')],
                [T('set.tier'), s.messagingTier || na],
                [T('set.quality'), s.phoneQuality || na],
                [T('set.wallet'), s.wallet ? s.wallet.balance.toFixed(2) + ' ' + s.wallet.currency : na],
              ];
              clear(info);
              rows.forEach(function (r) { info.appendChild(h('dt', { text: r[0] })); info.appendChild(h('dd', { text: r[1] })); });
            })
            .catch(function (e) { clear(info).appendChild(notice('error', e.message)); });
        }
        if (state.channels.length) loadInfo();

        view.appendChild(h('h2', { text: T('set.plan'), style: 'margin-top:22px' }));
        view.appendChild(h('p', { class: 'muted', text: T('set.planHelp') }));
        var plan = select('plan', [['standard', T('set.planStandard')], ['enterprise', T('set.planEnterprise')]], res[2].plan);
        var planOut = h('span', { class: 'muted', id: 'plan-status' });
        view.appendChild(
          h(
            'div',
            { class: 'toolbar' },
            field(T('set.plan'), plan),
            h('button', {
              type: 'button',
              class: 'btn primary',
              id: 'plan-save',
              text: T('common.save'),
              onclick: function () {
                api('PUT', '/portal/plan', { plan: plan.value })
                  .then(function () { planOut.textContent = T('set.saved'); })
                  .catch(function (e) { clear(planOut).appendChild(notice('error', e.message)); });
              },
            }),
            planOut,
          ),
        );

        view.appendChild(h('h2', { text: T('set.tokens'), style: 'margin-top:22px' }));
        view.appendChild(h('p', { class: 'muted', text: T('set.tokensHelp') }));
        var out = h('div');
        var label = h('input', { type: 'text', name: 'label', placeholder: T('set.tokenLabel'), maxlength: 100 });
        var tbody = h('tbody');
        view.appendChild(
          h(
            'div',
            { class: 'toolbar' },
            field(T('set.tokenLabel'), label),
            h('button', {
              type: 'button',
              class: 'btn primary',
              id: 'token-create',
              text: T('set.tokenCreate'),
              onclick: function () {
                var body = {};
                new URLSearchParams(boot.auth).forEach(function (v, k) { body[k] = v; });
                if (label.value) body.label = label.value;
                api('POST', '/tokens', body)
                  .then(function (r) {
                    clear(out).appendChild(h('div', { class: 'notice ok' }, h('div', { text: T('set.tokenNew') }), copyBox(r.token)));
                    label.value = '';
                    loadTokens();
                  })
                  .catch(function (e) { clear(out).appendChild(notice('error', e.message)); });
              },
            }),
          ),
        );
        view.appendChild(out);
        view.appendChild(h('table', { id: 'tokens' }, h('thead', {}, h('tr', {}, ['', T('set.tokenLabel'), T('set.created'), T('set.lastUsed'), ''].map(function (x) { return h('th', { text: x }); }))), tbody));
        function renderTokens(items) {
          clear(tbody);
          items.forEach(function (t) {
            tbody.appendChild(
              h(
                'tr',
                { 'data-token': t.id },
                h('td', {}, h('code', { text: t.prefix + '…' })),
                h('td', { text: t.label || T('common.none') }),
                h('td', { text: fmtDate(t.createdAt, true) }),
                h('td', { text: t.lastUsedAt ? fmtDate(t.lastUsedAt, true) : T('common.none') }),
                h(
                  'td',
                  {},
                  t.revokedAt
                    ? h('span', { class: 'badge expired', text: T('set.tokenRevoked') })
                    : h('button', { type: 'button', class: 'btn small danger', text: T('set.tokenRevoke'), onclick: function () { api('DELETE', '/tokens/' + t.id).then(loadTokens); } }),
                ),
              ),
            );
          });
        }
        function loadTokens() { return api('GET', '/tokens').then(function (r) { renderTokens(r.items); }); }
        renderTokens(res[1].items);
      })
      .catch(showError);
  }

  // ------------------------------------------------------------------ Connector placement

  function connectorPage() {
    var line = boot.connector.line;
    clear(view).appendChild(h('h1', { text: T('conn.title') }));
    var body = h('div');
    view.appendChild(body);
    var reload = function () { connectorPage(); };
    return Promise.all([loadLines(), api('GET', '/channels/details'), api('GET', '/lines/' + line + '/status').catch(function (e) { return { error: e.message }; })])
      .then(function (res) {
        state.channels = res[1].items;
        var st = res[2];
        var serving = state.channels.find(function (c) { return c.lineId === line; });
        var grid = h('dl', { class: 'grid2', id: 'connector-state' });
        var add = function (k, v) { grid.appendChild(h('dt', { text: k })); grid.appendChild(h('dd', {}, v)); };
        add(T('conn.line'), lineName(line));
        add(T('conn.bitrixState'), st.error ? h('span', { class: 'err', text: st.error }) : h('span', { class: 'badge ' + (st.status ? 'active' : 'inactive'), id: 'bitrix-state', text: st.status ? T('conn.on') : T('conn.off') }));
        add(T('conn.served'), serving ? h('span', {}, serving.name + ' (+' + serving.sourceNumber + ') ', h('span', { class: 'badge ' + serving.status, text: T('status.' + serving.status) })) : h('span', { class: 'muted', text: T('conn.none') }));
        body.appendChild(grid);
        if (!boot.admin) {
          body.appendChild(notice('info', T('common.adminOnly')));
          return;
        }
        var actions = h('div', { class: 'toolbar', style: 'margin-top:16px' });
        body.appendChild(actions);
        if (serving && (serving.status === 'active' || serving.status === 'interrupted')) {
          actions.appendChild(h('button', { type: 'button', class: 'btn', id: 'conn-deactivate', text: T('conn.deactivate'), onclick: function () { deactivateDialog(serving, reload); } }));
        } else {
          var candidates = state.channels.filter(function (c) { return !c.lineId || c.lineId === line; });
          if (candidates.length) {
            var sel = select('channel', candidates.map(function (c) { return [c.id, c.name + ' (+' + c.sourceNumber + ')']; }), serving ? serving.id : '');
            actions.appendChild(field(T('conn.pick'), sel));
            actions.appendChild(
              h('button', {
                type: 'button',
                class: 'btn success',
                id: 'conn-activate',
                text: T('conn.activate'),
                onclick: function () {
                  var ch = state.channels.find(function (c) { return c.id === sel.value; });
                  if (ch) activateDialog(ch, reload, line);
                },
              }),
            );
          }
          actions.appendChild(h('div', { class: 'grow' }));
          actions.appendChild(h('button', { type: 'button', class: 'btn primary', text: T('ch.connect'), onclick: function () { connectDialog(reload, line); } }));
        }
      })
      .catch(showError);
  }

  function showError(e) {
    clear(view).appendChild(notice('error', e.message));
  }

  // ------------------------------------------------------------------ start

  if (boot.page === 'connector') {
    connectorPage().then(function () { document.body.setAttribute('data-ready', 'connector'); });
    return;
  }
  var tabs = { channels: channelsTab, roles: rolesTab, trace: traceTab, settings: settingsTab };
  var nav = document.getElementById('tabs');
  function show(name) {
    Array.prototype.forEach.call(nav.querySelectorAll('button'), function (b) { b.classList.toggle('on', b.getAttribute('data-tab') === name); });
    document.body.setAttribute('data-tab', name);
    return tabs[name]().then(function () { document.body.setAttribute('data-ready', name); });
  }
  nav.addEventListener('click', function (e) {
    var name = e.target.getAttribute && e.target.getAttribute('data-tab');
    if (name) show(name);
  });
  api('GET', '/me')
    .then(function (me) { boot.can = me.can; })
    .catch(function () { boot.can = {}; })
    .then(function () { show(location.hash.slice(1) in tabs ? location.hash.slice(1) : 'channels'); });
})();
