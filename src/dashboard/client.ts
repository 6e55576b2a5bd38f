/**
 * The dashboard's only script, served as `/assets/app.js` (CSP `script-src 'self'`). Hand-written, no
 * build step. It:
 * - polls the current page for its live region (`[data-live]`) with `X-Errand-Live: 1` and
 *   `If-None-Match`, and swaps the region's markup (escaped by the server) when the ETag changed;
 *   once the user types into a field of the region (a form being filled in), it stops swapping;
 * - asks for confirmation on forms marked `data-confirm`;
 * - submits filter forms when a select changes.
 */
export const CLIENT_JS = `"use strict";
(function () {
  var region = document.querySelector("[data-live]");
  var badge = document.querySelector(".live");
  var base = Number(region && region.getAttribute("data-live-ms")) || Number(document.body.getAttribute("data-live-ms")) || 2000;
  var etag = region ? region.getAttribute("data-etag") : null;
  var timer = null;
  var busy = false;
  var editing = false;
  function rowIds() {
    var ids = {};
    region.querySelectorAll("tr[data-run-id]").forEach(function (tr) { ids[tr.getAttribute("data-run-id")] = true; });
    return ids;
  }
  function schedule(ms) {
    clearTimeout(timer);
    timer = setTimeout(tick, ms);
  }
  function tick() {
    if (!region || busy || editing) return;
    if (document.visibilityState === "hidden") { schedule(base); return; }
    busy = true;
    var started = Date.now();
    var headers = { "X-Errand-Live": "1" };
    if (etag) headers["If-None-Match"] = etag;
    fetch(location.href, { headers: headers, credentials: "same-origin", cache: "no-store" })
      .then(function (res) {
        if (badge) badge.classList.toggle("on", res.ok || res.status === 304);
        if (res.status === 401) { location.reload(); return null; }
        if (res.status !== 200) return null;
        etag = res.headers.get("ETag");
        return res.text();
      })
      .then(function (text) {
        if (text === null || text === undefined) return;
        var before = rowIds();
        var hadRows = Object.keys(before).length > 0;
        region.innerHTML = text;
        region.setAttribute("data-etag", etag || "");
        if (hadRows) {
          region.querySelectorAll("tr[data-run-id]").forEach(function (tr) {
            if (!before[tr.getAttribute("data-run-id")]) tr.classList.add("fresh");
          });
        }
        document.dispatchEvent(new CustomEvent("errand:updated"));
      })
      .catch(function () { if (badge) badge.classList.remove("on"); })
      .finally(function () {
        busy = false;
        // Slow pages (huge stores) are polled less often: never more than ~20 % of the time busy.
        schedule(Math.max(base, (Date.now() - started) * 5));
      });
  }
  if (region) {
    region.addEventListener("input", function () { editing = true; });
    if (badge) badge.classList.add("on");
    schedule(base);
    document.addEventListener("visibilitychange", function () { if (document.visibilityState === "visible") schedule(0); });
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form && form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el && el.tagName === "SELECT" && el.form && el.form.classList.contains("filters")) el.form.submit();
  });
})();
`;
