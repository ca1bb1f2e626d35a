// Pallay on a weak signal. The collection sheet and the attendance register work as plain forms;
// this script adds: what she fills is kept on the phone (IndexedDB) as she types, and sent when
// there is a signal — by "Enviar ahora", when the phone comes back online, or every 20 seconds
// while something waits. Each sheet row carries the key made when it was first filled, so
// however often it is sent, the server posts it once. Nothing here is needed to use the pages.
(function () {
  'use strict';
  if (!window.indexedDB || !window.fetch || !window.Promise) return;
  if (navigator.serviceWorker) navigator.serviceWorker.register('/sw.js').catch(function () {});

  var box = document.getElementById('offline');
  if (!box) return;
  var say = box.querySelector('[role=status]');
  var T = box.dataset;

  function store(mode, work) {
    return new Promise(function (resolve, reject) {
      var open = indexedDB.open('pallay', 1);
      open.onupgradeneeded = function () { open.result.createObjectStore('queue', { keyPath: 'id' }); };
      open.onerror = function () { reject(open.error); };
      open.onsuccess = function () {
        var tx = open.result.transaction('queue', mode);
        var req = work(tx.objectStore('queue'));
        tx.oncomplete = function () { open.result.close(); resolve(req && req.result); };
        tx.onerror = function () { open.result.close(); reject(tx.error); };
      };
    });
  }
  var get = function (id) { return store('readonly', function (s) { return s.get(id); }); };
  var put = function (item) { return store('readwrite', function (s) { return s.put(item); }); };
  var drop = function (id) { return store('readwrite', function (s) { return s.delete(id); }); };
  var all = function () { return store('readonly', function (s) { return s.getAll(); }); };

  function newKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16); crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ('0' + x.toString(16)).slice(-2); }).join('');
  }

  function tell(text) { say.textContent = text; box.hidden = false; }

  var retry = null;
  function later() { if (!retry) retry = setTimeout(function () { retry = null; sendAll(); }, 20000); }

  // The collection sheet: one stored item per row of a fund, date and loan.
  var sheet = document.querySelector('form[data-offline=collection]');
  var csrfField = document.querySelector('[name=csrf_token]');
  var csrf = csrfField ? csrfField.value : '';

  function rowId(loan) { return 'c:' + sheet.dataset.fund + ':' + sheet.dataset.date + ':' + loan; }

  function show(tr, item) {
    var out = tr.querySelector('output.row-state');
    if (!out) return;
    out.hidden = !item;
    if (!item) return;
    out.className = 'row-state ' + item.state;
    out.textContent = item.state === 'refused' ? T.refused + ' ' + item.reason : T[item.state];
    var inputs = tr.querySelectorAll('input.amount, input.receipt');
    for (var i = 0; i < inputs.length; i++) inputs[i].readOnly = item.state === 'sent';
  }

  function keyField(tr) { return tr.querySelector('input[name^=key_]'); }

  function keep(tr) {
    var loan = tr.dataset.loan;
    var amount = tr.querySelector('input.amount');
    var receipt = tr.querySelector('input.receipt');
    if (!amount) return Promise.resolve();
    return get(rowId(loan)).then(function (item) {
      if (item && item.state === 'sent') return;
      var typed = amount.value.trim();
      if (!typed) { show(tr, null); return item ? drop(item.id) : null; }
      if (!item || item.state === 'refused') {
        item = { id: rowId(loan), kind: 'collection', url: sheet.dataset.rowsUrl, date: sheet.dataset.date,
                 loan: Number(loan), key: newKey(), queued: false };
      }
      item.amount = typed;
      item.receipt = receipt ? receipt.value.trim() : '';
      item.state = 'saved';
      keyField(tr).value = item.key;
      show(tr, item);
      return put(item);
    });
  }

  function sendSheet(items) {
    var byBatch = {};
    items.forEach(function (it) { (byBatch[it.url + ' ' + it.date] = byBatch[it.url + ' ' + it.date] || []).push(it); });
    return Promise.all(Object.keys(byBatch).map(function (k) {
      var batch = byBatch[k];
      var body = { date: batch[0].date, rows: batch.map(function (it) {
        return { loan_id: it.loan, amount: it.amount, receipt_number: it.receipt || null, key: it.key };
      }) };
      return fetch(batch[0].url, { method: 'POST', credentials: 'same-origin', redirect: 'manual',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf }, body: JSON.stringify(body) })
        .then(function (res) {
          if (res.type === 'opaqueredirect' || res.status === 401 || res.status === 403) throw 'sign-in';
          return res.json().then(function (answer) {
            if (!res.ok) {
              var why = answer.detail || String(res.status);
              return Promise.all(batch.map(function (it) { it.state = 'refused'; it.reason = why; return put(it); }));
            }
            return Promise.all(answer.rows.map(function (row, i) {
              var it = batch[i];
              if (row.status === 'skipped') return drop(it.id);
              it.state = row.status === 'refused' ? 'refused' : 'sent';
              it.reason = (row.errors || []).map(function (e) { return e.message; }).join('; ');
              return put(it);
            }));
          });
        });
    }));
  }

  // The register: the whole form, as filled, one item per training.
  var register = document.querySelector('form[data-offline=register]');

  function fields(form) {
    var out = [];
    new FormData(form).forEach(function (v, k) { if (k !== 'csrf_token') out.push([k, String(v)]); });
    return out;
  }

  function keepRegister() {
    return put({ id: 'r:' + register.getAttribute('action'), kind: 'register', url: register.getAttribute('action'),
                 fields: fields(register), state: 'saved', queued: false });
  }

  function sendRegister(item) {
    var body = new URLSearchParams();
    body.append('csrf_token', csrf);
    item.fields.forEach(function (f) { body.append(f[0], f[1]); });
    return fetch(item.url, { method: 'POST', credentials: 'same-origin', body: body })
      .then(function (res) {
        if (res.status === 403 || /\/login$/.test(new URL(res.url).pathname)) throw 'sign-in';
        if (res.ok) return drop(item.id);
        item.state = 'refused'; item.reason = String(res.status);
        return put(item);
      });
  }

  // What she is told once nothing waits: all sent, or how many rows were refused (each row says why).
  function settle() {
    return all().then(function (items) {
      var refused = items.filter(function (it) { return it.state === 'refused'; }).length;
      tell(refused ? T.refusedRows + ' ' + refused : T.allSent);
    });
  }

  var sending = false;
  function sendAll(tapped) {
    if (sending) return Promise.resolve();
    sending = true;
    return all().then(function (items) {
      var waiting = items.filter(function (it) { return it.state === 'saved' && (tapped || it.queued); });
      if (!waiting.length) { return tapped ? settle() : null; }
      tell(T.sending);
      return Promise.all(waiting.map(function (it) { it.queued = true; return put(it); }))
        .then(function () {
          var rows = waiting.filter(function (it) { return it.kind === 'collection'; });
          var registers = waiting.filter(function (it) { return it.kind === 'register'; });
          return Promise.all([sendSheet(rows)].concat(registers.map(sendRegister)));
        })
        .then(settle, function (why) {
          if (why === 'sign-in') { tell(T.signIn); return; }
          tell(T.noSignal); later();
        });
    }).then(refresh).then(function () { sending = false; }, function () { sending = false; });
  }

  function refresh() {
    if (!sheet) return;
    var trs = sheet.querySelectorAll('tr[data-loan]');
    return Promise.all(Array.prototype.map.call(trs, function (tr) {
      return get(rowId(tr.dataset.loan)).then(function (item) { show(tr, item); });
    }));
  }

  function restore() {
    if (sheet) {
      var trs = sheet.querySelectorAll('tr[data-loan]');
      return Promise.all(Array.prototype.map.call(trs, function (tr) {
        return get(rowId(tr.dataset.loan)).then(function (item) {
          // A row the server just confirmed (the page after posting) is sent.
          if (tr.dataset.postedKey && item && item.key === tr.dataset.postedKey) { item.state = 'sent'; put(item); }
          if (item) {
            var amount = tr.querySelector('input.amount'), receipt = tr.querySelector('input.receipt');
            if (amount && item.state !== 'sent') { amount.value = item.amount; if (receipt) receipt.value = item.receipt; }
            if (keyField(tr) && item.state !== 'sent') keyField(tr).value = item.key;
          }
          show(tr, item);
        });
      }));
    }
    if (register) {
      return get('r:' + register.getAttribute('action')).then(function (item) {
        if (!item) return;
        item.fields.forEach(function (f) {
          var els = register.querySelectorAll('[name="' + f[0] + '"]');
          for (var i = 0; i < els.length; i++) {
            if (els[i].type === 'radio' || els[i].type === 'checkbox') els[i].checked = els[i].value === f[1];
            else els[i].value = f[1];
          }
        });
        tell(item.state === 'refused' ? T.refused + ' ' + item.reason : T.saved);
      });
    }
    return Promise.resolve();
  }

  // Is there a signal right now? Asked before a form is sent the ordinary way.
  function reachable() {
    return fetch('/api/v1/health', { cache: 'no-store' })
      .then(function (res) { return res.ok; }, function () { return false; });
  }

  function onSubmit(form, queueAll) {
    form.addEventListener('submit', function (e) {
      if (form.dataset.checked === 'yes') return;
      e.preventDefault();
      var submitter = e.submitter;
      reachable().then(function (online) {
        if (online) {
          form.dataset.checked = 'yes';
          if (form.requestSubmit) form.requestSubmit(submitter); else form.submit();
          return;
        }
        queueAll().then(function () { tell(T.noSignal); later(); });
      });
    });
  }

  var button = box.querySelector('[data-send-now]');
  button.addEventListener('click', function () { sendAll(true); });
  window.addEventListener('online', function () { sendAll(false); });

  if (sheet) {
    var help = sheet.querySelector('[data-offline-help]');
    if (help) help.hidden = false;
    sheet.addEventListener('input', function (e) {
      var tr = e.target.closest('tr[data-loan]');
      if (tr) keep(tr);
    });
    onSubmit(sheet, function () {
      var trs = sheet.querySelectorAll('tr[data-loan]');
      return Promise.all(Array.prototype.map.call(trs, keep)).then(all).then(function (items) {
        return Promise.all(items.filter(function (it) { return it.state === 'saved'; })
          .map(function (it) { it.queued = true; return put(it); }));
      });
    });
  }
  if (register) {
    register.addEventListener('change', keepRegister);
    register.addEventListener('input', keepRegister);
    onSubmit(register, function () {
      return keepRegister().then(function () {
        return get('r:' + register.getAttribute('action')).then(function (it) { it.queued = true; return put(it); });
      });
    });
  }
  box.hidden = false;
  restore().then(function () { return all(); }).then(function (items) {
    var waiting = items.filter(function (it) { return it.state === 'saved'; });
    if (waiting.length) tell(T.pending + ' ' + waiting.length);
    if (waiting.some(function (it) { return it.queued; })) sendAll(false);
  });
})();
