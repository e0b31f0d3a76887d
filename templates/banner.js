// downtime's announcement banner: include it on the site's own pages with
//   <script src="/maintenance/banner.js" defer></script>
// It asks the public status, and while a window is scheduled shows a dismissible notice at the
// top of the page, in the visitor's language. No inline code or style attribute: it works
// under a Content-Security-Policy of script-src 'self'.
(function () {
  "use strict";
  var m = __MESSAGES__;
  var key = "downtime-banner-dismissed";
  fetch(m.status, { cache: "no-store", headers: { Accept: "application/json" } })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (s) {
      if (!s || s.phase !== "scheduled" || !s.starts_at) { return; }
      var seen = String(s.version);
      try { if (window.localStorage.getItem(key) === seen) { return; } } catch (e) { /* no storage */ }
      // In the visitor's zone, named (which dateStyle and timeStyle cannot be combined with).
      var when = new Intl.DateTimeFormat(m.lang, {
        weekday: "long", year: "numeric", month: "long", day: "numeric", hour: "numeric",
        minute: "2-digit", timeZoneName: "short"
      });
      var text = (s.ends_at ? m.window : m.from)
        .replace("%START%", when.format(new Date(s.starts_at)))
        .replace("%END%", s.ends_at ? when.format(new Date(s.ends_at)) : "");
      var bar = document.createElement("div");
      bar.id = "downtime-banner";
      bar.setAttribute("role", "status");
      bar.lang = m.lang;
      bar.dir = m.dir;
      bar.style.cssText = "display:flex;gap:1em;align-items:center;justify-content:center;" +
        "padding:.6em 1em;background:#fff4ce;color:#3b2f00;border-bottom:1px solid #e0c36a;" +
        "font:15px/1.4 system-ui,sans-serif";
      var note = document.createElement("span");
      note.textContent = text;
      var close = document.createElement("button");
      close.type = "button";
      close.textContent = m.dismiss;
      close.addEventListener("click", function () {
        try { window.localStorage.setItem(key, seen); } catch (e) { /* no storage */ }
        bar.remove();
      });
      bar.appendChild(note);
      bar.appendChild(close);
      document.body.insertBefore(bar, document.body.firstChild);
    })
    .catch(function () { /* no banner: the site works as usual */ });
})();
