// Inside an LMS iframe, ask the platform to fit the frame to the page (LTI Client Side postMessages: lti.frameResize).
(function () {
  if (window.parent === window) return;
  var last = 0;
  function resize() {
    // The page's own height, not scrollHeight: that is never less than the frame, so the frame could only grow.
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height !== last) {
      last = height;
      window.parent.postMessage({ subject: "lti.frameResize", height: height }, "*");
    }
  }
  window.addEventListener("load", resize);
  if (window.ResizeObserver) new ResizeObserver(resize).observe(document.documentElement);
})();
