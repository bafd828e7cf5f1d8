// Inside an LMS iframe, ask the platform to fit the frame to the page (LTI Client Side postMessages: lti.frameResize).
(function () {
  if (window.parent === window) return;
  var last = 0;
  function resize() {
    var height = document.documentElement.scrollHeight;
    if (height !== last) {
      last = height;
      window.parent.postMessage({ subject: "lti.frameResize", height: height }, "*");
    }
  }
  window.addEventListener("load", resize);
  if (window.ResizeObserver) new ResizeObserver(resize).observe(document.documentElement);
})();
