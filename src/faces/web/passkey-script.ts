/**
 * The one script of the pages: the WebAuthn calls a passkey needs (nothing else on a page depends on
 * it). Served by Gatehouse at /assets/passkeys.js, so a page that carries it allows `script-src
 * 'self'` (and `connect-src 'self'` for its fetch of options) and nothing more; every other page keeps
 * the policy without script. Without the script (or without WebAuthn) the passkey buttons stay hidden
 * and every form works as before.
 *
 * It wires elements by data attributes:
 *   button[data-passkey-get]     fetches request options (POST, JSON {_csrf}) from its URL, calls
 *                                navigator.credentials.get, and posts the assertion in the form named by
 *                                data-form (field "assertion")
 *   input[data-passkey-autofill] the same with conditional mediation (the browser's passkey autofill)
 *   button[data-passkey-create]  creation options from its URL, navigator.credentials.create, the
 *                                attestation posted in the form named by data-form (field "attestation")
 */
export const PASSKEY_SCRIPT_PATH = '/assets/passkeys.js';
export const PASSKEY_SCRIPT_TAG = `<script src="${PASSKEY_SCRIPT_PATH}" defer></script>`;

/** The CSP of a page carrying the script: the pages' policy plus exactly these two. */
export const withPasskeyScript = (csp: string) => `${csp}; script-src 'self'; connect-src 'self'`;

export const PASSKEY_JS = `'use strict';
(function () {
  if (!window.PublicKeyCredential || !navigator.credentials) return;
  var b64 = function (buf) {
    var s = '', bytes = new Uint8Array(buf);
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  };
  var unb64 = function (text) {
    var s = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4));
    var out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out.buffer;
  };
  var creds = function (list) {
    return (list || []).map(function (c) { return { id: unb64(c.id), type: c.type, transports: c.transports }; });
  };
  var options = function (url, csrf) {
    return fetch(url, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ _csrf: csrf }) })
      .then(function (r) { if (!r.ok) throw new Error('options ' + r.status); return r.json(); });
  };
  var publicKeyOf = function (credential) {
    var r = credential.response, out = { id: credential.id, rawId: b64(credential.rawId), type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
      authenticatorAttachment: credential.authenticatorAttachment || undefined, response: { clientDataJSON: b64(r.clientDataJSON) } };
    if (r.attestationObject) {
      out.response.attestationObject = b64(r.attestationObject);
      out.response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      out.response.authenticatorData = b64(r.authenticatorData);
      out.response.signature = b64(r.signature);
      if (r.userHandle) out.response.userHandle = b64(r.userHandle);
    }
    return JSON.stringify(out);
  };
  var submit = function (formId, field, value) {
    var form = document.getElementById(formId);
    form.elements[field].value = value;
    form.submit();
  };
  var say = function (el, text) {
    var note = document.getElementById(el.getAttribute('data-status') || '');
    if (note) { note.textContent = text; note.hidden = false; }
  };
  // A conditional (autofill) request waits in the background; a button's request replaces it.
  var pending = null;
  var get = function (el, mediation) {
    if (pending) { pending.abort(); pending = null; }
    var controller = mediation ? new AbortController() : null;
    if (controller) pending = controller;
    return options(el.getAttribute('data-passkey-get') || el.getAttribute('data-passkey-autofill'), el.getAttribute('data-csrf')).then(function (o) {
      var request = { publicKey: { challenge: unb64(o.challenge), rpId: o.rpId, timeout: o.timeout, userVerification: o.userVerification, allowCredentials: creds(o.allowCredentials) } };
      if (mediation) { request.mediation = mediation; request.signal = controller.signal; }
      return navigator.credentials.get(request);
    }).then(function (credential) {
      if (credential) submit(el.getAttribute('data-form'), 'assertion', publicKeyOf(credential));
    });
  };
  document.querySelectorAll('button[data-passkey-get]').forEach(function (el) {
    el.hidden = false;
    el.addEventListener('click', function () {
      get(el).catch(function (e) { say(el, 'The passkey was not used (' + e.name + '). You can try again or sign in another way.'); });
    });
  });
  document.querySelectorAll('input[data-passkey-autofill]').forEach(function (el) {
    if (!PublicKeyCredential.isConditionalMediationAvailable) return;
    PublicKeyCredential.isConditionalMediationAvailable().then(function (ok) {
      if (ok) get(el, 'conditional').catch(function () {});
    });
  });
  document.querySelectorAll('button[data-passkey-create]').forEach(function (el) {
    el.hidden = false;
    el.addEventListener('click', function () {
      options(el.getAttribute('data-passkey-create'), el.getAttribute('data-csrf')).then(function (o) {
        return navigator.credentials.create({ publicKey: {
          rp: o.rp, challenge: unb64(o.challenge), timeout: o.timeout, attestation: o.attestation, pubKeyCredParams: o.pubKeyCredParams,
          user: { id: unb64(o.user.id), name: o.user.name, displayName: o.user.displayName },
          excludeCredentials: creds(o.excludeCredentials), authenticatorSelection: o.authenticatorSelection, extensions: o.extensions } });
      }).then(function (credential) {
        submit(el.getAttribute('data-form'), 'attestation', publicKeyOf(credential));
      }).catch(function (e) { say(el, 'No passkey was added (' + e.name + ').'); });
    });
  });
})();
`;
