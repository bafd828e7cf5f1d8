// Before the OIDC redirect inside an LMS iframe: keep the state and nonce in the platform's storage when it
// offers one; else continue if this frame may keep cookies; else offer to open Sweetspot in a new window.
(function () {
  "use strict";
  var box = document.getElementById("lti-login");
  var data = box.dataset;

  function continueToPlatform() {
    location.replace(data.authUrl);
  }

  function checkCookies() {
    var secure = location.protocol === "https:";
    document.cookie = "sweetspot-cookie-check=1; path=/; max-age=60" + (secure ? "; SameSite=None; Secure; Partitioned" : "");
    if (document.cookie.indexOf("sweetspot-cookie-check=1") !== -1) {
      continueToPlatform();
    } else {
      document.getElementById("checking").hidden = true;
      document.getElementById("blocked").hidden = false;
    }
  }

  if (!data.storageTarget || !window.SweetspotPlatformStorage || !window.Promise) {
    checkCookies();
    return;
  }
  var storage = window.SweetspotPlatformStorage;
  Promise.all([
    storage.put(data.storageTarget, data.platformOrigin, "state_" + data.state, data.state),
    storage.put(data.storageTarget, data.platformOrigin, "nonce_" + data.nonce, data.nonce)
  ]).then(continueToPlatform, checkCookies);
})();
