/**
 * The dashboard's only script, served as `/assets/app.js` (CSP `script-src 'self'`). Hand-written, no
 * build step. It:
 * - polls the current page for its live region (`[data-live]`) with `X-Errand-Live: 1` and
 *   `If-None-Match`, and swaps the region's markup (escaped by the server) when the ETag changed;
 * - asks for confirmation on forms marked `data-confirm`;
 * - submits filter forms when a select changes.
 */
export const CLIENT_JS = `"use strict";
(function () {
  var region = document.querySelector("[data-live]");
  var badge = document.querySelector(".live");
  var interval = Number(document.body.getAttribute("data-live-ms")) || 2000;
  var etag = region ? region.getAttribute("data-etag") : null;
  var busy = false;
  function tick() {
    if (!region || busy || document.visibilityState === "hidden") return;
    busy = true;
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
        region.innerHTML = text;
        region.setAttribute("data-etag", etag || "");
        document.dispatchEvent(new CustomEvent("errand:updated"));
      })
      .catch(function () { if (badge) badge.classList.remove("on"); })
      .finally(function () { busy = false; });
  }
  if (region) {
    if (badge) badge.classList.add("on");
    setInterval(tick, interval);
    document.addEventListener("visibilitychange", tick);
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
