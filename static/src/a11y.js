// Accessibility glue for htmx swaps. A static file: the CSP allows no inline script.
(function () {
  "use strict";

  // Results are announced through the one polite live region in base.html (#announcer): a live
  // region swapped in together with its content is not announced reliably.
  function announce(elt) {
    var source = elt.hasAttribute && elt.hasAttribute("data-announce")
      ? elt
      : elt.querySelector && elt.querySelector("[data-announce]");
    var region = document.getElementById("announcer");
    if (source && region && document.contains(source)) {
      region.textContent = source.getAttribute("data-announce");
    }
  }

  // A fragment that only appends rows names its summary in an "HX-Trigger: {"announce": …}" header.
  document.addEventListener("announce", function (event) {
    var region = document.getElementById("announcer");
    if (region && event.detail && event.detail.value) region.textContent = event.detail.value;
  });

  // After a tab switch keyboard focus moves to the new panel instead of falling to <body>.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.hasAttribute("data-focus-on-swap") && document.contains(target)) {
      target.setAttribute("tabindex", "-1");
      target.focus({ preventScroll: false });
    }
  });

  // 加载更多 / 更早的记录 replace their own row ("#more-…") with the next rows: keyboard focus would
  // fall to <body>. It moves to the first new row instead, so Tab continues from there.
  var loading = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var row = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest('[id^="more-"]');
    if (row && row.parentElement) {
      loading = { row: row, list: row.parentElement, index: Array.prototype.indexOf.call(row.parentElement.children, row) };
    }
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!loading || document.contains(loading.row)) return; // not swapped yet (another request settled)
    var pending = loading;
    loading = null;
    var first = document.contains(pending.list) && pending.list.children[pending.index];
    if (first && !(first.id || "").startsWith("more-")) {
      first.setAttribute("tabindex", "-1");
      first.focus({ preventScroll: true });
    }
  });

  // A 400 marked "HX-Inline-Error" carries the form's errors as a fragment: show it in place (other
  // error answers stay unswapped, as htmx does by default).
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.status === 400 && xhr.getResponseHeader("HX-Inline-Error")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // A form that htmx submitted successfully drops the field errors of its earlier attempt.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    var xhr = event.detail.xhr;
    if (!form || form.tagName !== "FORM" || !xhr || xhr.status < 200 || xhr.status >= 300) return;
    form.querySelectorAll('[aria-invalid="true"]').forEach(function (input) {
      var message = document.getElementById(input.getAttribute("aria-describedby") || "");
      if (message && message.classList.contains("field-error")) message.remove();
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
    });
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    announce(event.target);
  });

  // Forms that come back to this page (长辈版) follow the URL htmx pushed: a search or a filter
  // made in place is not lost when the mode changes.
  function followUrl() {
    var search = location.search; // as current_path(): never a query holding an ID-number-long number
    try {
      if (/[0-9]{15}/.test(decodeURIComponent(search))) search = "";
    } catch (e) {
      search = "";
    }
    document.querySelectorAll("input[data-current-path]").forEach(function (input) {
      input.value = location.pathname + search;
    });
  }
  document.addEventListener("htmx:pushedIntoHistory", followUrl);
  document.addEventListener("htmx:replacedInHistory", followUrl);
})();
