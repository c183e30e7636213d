// The only script of the dashboard (nothing inline: the CSP allows scripts from this origin only). A delivery log
// can reload itself every few seconds while its box is ticked (remembered for the page in sessionStorage) and no
// field is being typed in.
document.querySelectorAll("[data-autorefresh]").forEach(function (box) {
  var key = "autorefresh:" + location.pathname;
  box.checked = sessionStorage.getItem(key) === "1";
  box.addEventListener("change", function () { sessionStorage.setItem(key, box.checked ? "1" : "0"); });
  setInterval(function () {
    var typing = document.activeElement && /INPUT|TEXTAREA|SELECT/.test(document.activeElement.tagName) && document.activeElement !== box;
    if (box.checked && !typing) { location.reload(); }
  }, 1000 * Number(box.dataset.autorefresh));
});

// Times: every <time datetime="ISO"> is shown in the browser's zone with how long ago ("3 min ago"); the server's
// UTC text stays as its tooltip.
(function () {
  function ago(ms) {
    var s = Math.round(Math.abs(ms) / 1000), text;
    if (s < 60) { text = s + " s"; } else if (s < 3600) { text = Math.round(s / 60) + " min"; }
    else if (s < 86400) { text = Math.round(s / 3600) + " h"; } else { text = Math.round(s / 86400) + " d"; }
    return ms < 0 ? "in " + text : text + " ago";
  }
  var shape = { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" };
  document.querySelectorAll("time[datetime]").forEach(function (el) {
    var at = new Date(el.getAttribute("datetime"));
    if (isNaN(at.getTime())) { return; }
    el.title = el.textContent;
    el.textContent = at.toLocaleString(undefined, shape) + " (" + ago(Date.now() - at.getTime()) + ")";
  });
})();
