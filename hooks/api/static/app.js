// The only script of the dashboard: a delivery log can reload itself every few seconds while its box is ticked
// (remembered for the page in sessionStorage) and no field is being typed in.
document.querySelectorAll("[data-autorefresh]").forEach(function (box) {
  var key = "autorefresh:" + location.pathname;
  box.checked = sessionStorage.getItem(key) === "1";
  box.addEventListener("change", function () { sessionStorage.setItem(key, box.checked ? "1" : "0"); });
  setInterval(function () {
    var typing = document.activeElement && /INPUT|TEXTAREA|SELECT/.test(document.activeElement.tagName) && document.activeElement !== box;
    if (box.checked && !typing) { location.reload(); }
  }, 1000 * Number(box.dataset.autorefresh));
});
