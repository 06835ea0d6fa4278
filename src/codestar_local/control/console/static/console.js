// codestar-local console: progressive enhancement only. Every page and form works without this file.
(function () {
  "use strict";

  var POLL_MS = 2000;
  var live = document.getElementById("live");
  var indicator = document.getElementById("live-indicator");
  var toastBox = document.getElementById("toast");
  var toastTimer = null;

  function toast(message, isError) {
    if (!toastBox) return;
    toastBox.textContent = message;
    toastBox.className = "toast" + (isError ? " toast-error" : "");
    toastBox.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { toastBox.hidden = true; }, 4000);
  }

  // The page without one-off query parameters (notice, error, arn).
  function pageUrl() {
    var url = new URL(window.location.href);
    ["notice", "error", "arn"].forEach(function (k) { url.searchParams.delete(k); });
    return url.pathname + url.search;
  }

  // The user is in the middle of something inside the live region: do not swap it away.
  function busy() {
    if (!live) return false;
    if (live.querySelector("details.more[open]")) return true;
    var active = document.activeElement;
    return !!(active && live.contains(active) && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName));
  }

  function refresh(force) {
    if (!live || (!force && busy())) return Promise.resolve();
    return fetch(pageUrl(), { headers: { Accept: "text/html" }, cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (text) {
        var doc = new DOMParser().parseFromString(text, "text/html");
        var fresh = doc.getElementById("live");
        if (!fresh) return;
        // Server-rendered and escaped markup from our own origin.
        live.replaceChildren.apply(live, Array.prototype.slice.call(fresh.childNodes).map(function (n) {
          return document.importNode(n, true);
        }));
        live.dataset.fingerprint = fresh.dataset.fingerprint;
        var scope = document.getElementById("scope-form");
        var freshScope = doc.getElementById("scope-form");
        if (scope && freshScope && !scope.contains(document.activeElement)) scope.replaceWith(document.importNode(freshScope, true));
        bindScope();
      })
      .catch(function () { /* next poll tries again */ });
  }

  function poll() {
    if (!live || document.hidden) return;
    fetch(live.dataset.poll, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (r) {
        // Signed out (elsewhere, or the session ended): the reload lands on the login page.
        if (r.status === 401) { window.location.reload(); return Promise.reject(r.status); }
        return r.ok ? r.json() : Promise.reject(r.status);
      })
      .then(function (data) {
        if (indicator) indicator.classList.remove("paused");
        if (data.fingerprint !== live.dataset.fingerprint) return refresh(false);
      })
      .catch(function () { if (indicator) indicator.classList.add("paused"); });
  }

  function bindScope() {
    var form = document.getElementById("scope-form");
    if (!form || form.dataset.bound) return;
    form.dataset.bound = "1";
    var account = document.getElementById("account-select");
    var region = document.getElementById("region-select");
    if (account) account.addEventListener("change", function () { if (region) region.value = "us-east-1"; form.submit(); });
    if (region) region.addEventListener("change", function () { form.submit(); });
  }

  // Forms inside the live region post in place and refresh the region. The form's hidden fields, its CSRF
  // token among them, go with it (FormData), as they do when the browser posts it without this script.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.method.toLowerCase() !== "post") return;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    if (!live || !live.contains(form)) return;
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    fetch(form.action, {
      method: "POST",
      headers: { Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(new FormData(form)).toString(),
    })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (res) {
        if (res.ok) toast(res.body.message, false);
        else toast((res.body.error && res.body.error.message) || "The action failed", true);
      })
      .catch(function () { toast("The server did not answer", true); })
      .then(function () {
        var open = form.closest("details");
        if (open) open.open = false;
        if (button) button.disabled = false;
        return refresh(true);
      });
  });

  bindScope();
  if (live) {
    if (indicator) indicator.hidden = false;
    setInterval(poll, POLL_MS);
    document.addEventListener("visibilitychange", poll);
  }
})();
