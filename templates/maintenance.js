(function () {
  "use strict";
  var main = document.getElementById("maintenance");
  var lang = document.documentElement.lang;
  var endsAt = main.dataset.endsAt ? new Date(main.dataset.endsAt) : null;
  var poll = Math.max(5, Number(main.dataset.pollSecs) || 15) * 1000;

  // Language links keep the rest of the query (where the visitor was going). Served in place at
  // a path such as "//evil.example/", the path alone would be a link to another host: leading
  // slashes collapse to one, so a link can only ever be a path on this site.
  document.querySelectorAll("a[data-lang]").forEach(function (a) {
    var url = new URL(location.href);
    url.searchParams.set("lang", a.dataset.lang);
    a.href = url.pathname.replace(/^[\/\\]+/, "/") + url.search;
  });

  if (endsAt && !isNaN(endsAt)) {
    var time = document.querySelector("time");
    try {
      // In the visitor's zone, named: "7:48 AM" alone reads as anyone's 7:48. (The zone cannot be
      // asked for alongside dateStyle or timeStyle, so the parts are listed.)
      time.textContent = new Intl.DateTimeFormat(lang, {
        year: "numeric", month: "long", day: "numeric", hour: "numeric", minute: "2-digit",
        timeZoneName: "short"
      }).format(endsAt);
    } catch (e) { /* keep the server's UTC text */ }
    var box = document.querySelector(".countdown");
    var out = document.getElementById("countdown");
    var pad = function (n) { return String(n).padStart(2, "0"); };
    var tick = function () {
      var left = Math.max(0, Math.round((endsAt - Date.now()) / 1000));
      var d = Math.floor(left / 86400), h = Math.floor(left / 3600) % 24, m = Math.floor(left / 60) % 60, s = left % 60;
      out.textContent = (d ? d + ":" : "") + pad(h) + ":" + pad(m) + ":" + pad(s);
    };
    box.hidden = false;
    tick();
    setInterval(tick, 1000);
  }

  // When maintenance ends, reload: the server then sends the visitor where they were going.
  var check = function () {
    fetch(main.dataset.statusUrl, { cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (s && s.active === false) {
          document.getElementById("auto").hidden = true;
          document.getElementById("back").hidden = false;
          location.reload();
        }
      })
      .catch(function () { /* offline or still down: try again later */ });
  };
  setInterval(check, poll);
})();
