// The queue refreshes itself every 30 seconds, unless the reader turns it off (WCAG 2.2.1: a
// page that updates itself can be paused). The choice is kept in this browser only.
(function () {
  "use strict";
  var box = document.getElementById("auto-refresh");
  if (!box) { return; }
  box.checked = window.localStorage.getItem("esafety-queue-refresh") !== "off";
  box.addEventListener("change", function () {
    window.localStorage.setItem("esafety-queue-refresh", box.checked ? "on" : "off");
  });
  window.setInterval(function () {
    if (box.checked && document.visibilityState === "visible") { window.location.reload(); }
  }, Number(box.getAttribute("data-seconds")) * 1000);
}());
