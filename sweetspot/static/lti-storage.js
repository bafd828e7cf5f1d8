// LTI platform storage (1EdTech "LTI Client Side postMessages": lti.put_data and lti.get_data).
// The platform keeps small values for the tool in one of its frames, so a tool inside the platform's iframe
// needs no third-party cookie. Messages go to that frame with the platform's origin as target origin, and
// only an answer from that frame and that origin, to this message, is believed.
(function () {
  "use strict";
  var TIMEOUT_MS = 2500;

  function frameOf(target) {
    if (window.parent === window) return null;
    if (!target || target === "_parent") return window.parent;
    try {
      return window.parent.frames[target] || null;
    } catch (error) {
      return null;
    }
  }

  function send(target, origin, message) {
    return new Promise(function (resolve, reject) {
      var frame = frameOf(target);
      if (!frame) {
        reject(new Error("no platform frame"));
        return;
      }
      var id = message.subject + "-" + Date.now() + "-" + Math.random().toString(36).slice(2);
      var timer = setTimeout(function () { finish(); reject(new Error("the platform did not answer")); }, TIMEOUT_MS);
      function listen(event) {
        var data = event.data;
        if (event.origin !== origin || event.source !== frame) return;
        if (!data || typeof data !== "object" || data.message_id !== id) return;
        if (data.subject !== message.subject + ".response") return;
        finish();
        if (data.error) reject(new Error(String(data.error.code || "error")));
        else resolve(data);
      }
      function finish() {
        clearTimeout(timer);
        window.removeEventListener("message", listen);
      }
      window.addEventListener("message", listen);
      message.message_id = id;
      frame.postMessage(message, origin);
    });
  }

  window.SweetspotPlatformStorage = {
    put: function (target, origin, key, value) {
      return send(target, origin, { subject: "lti.put_data", key: key, value: value }).then(function (answer) {
        if (answer.key !== key || answer.value !== value) throw new Error("the platform kept another value");
        return answer;
      });
    },
    get: function (target, origin, key) {
      return send(target, origin, { subject: "lti.get_data", key: key }).then(function (answer) {
        if (answer.key !== key || typeof answer.value !== "string") throw new Error("the platform has no value for " + key);
        return answer.value;
      });
    }
  };
})();
