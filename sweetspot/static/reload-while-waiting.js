// While the page says it waits for a background job (data-reload-after="SECONDS"), reload it after that many
// seconds: the page itself says when it is ready. A reload, not a fetch, so that the frame's session goes with it.
(function () {
  var waiting = document.querySelector("[data-reload-after]");
  if (!waiting) return;
  var seconds = Number(waiting.getAttribute("data-reload-after")) || 3;
  setTimeout(function () { window.location.reload(); }, seconds * 1000);
})();
