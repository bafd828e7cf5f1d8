// A launch whose browser kept no state cookie: read the state and nonce back from the platform's storage,
// where the login put them, and send them to Sweetspot with the id_token. Without them Sweetspot refuses.
(function () {
  "use strict";
  var form = document.getElementById("storage-check");
  var data = form.dataset;
  var storage = window.SweetspotPlatformStorage;

  function fail() {
    document.getElementById("checking").hidden = true;
    document.getElementById("failed").hidden = false;
  }

  if (!storage || !window.Promise) {
    fail();
    return;
  }
  Promise.all([
    storage.get(data.storageTarget, data.platformOrigin, "state_" + data.state),
    storage.get(data.storageTarget, data.platformOrigin, "nonce_" + data.nonce)
  ]).then(function (values) {
    form.elements.lti_storage_state.value = values[0];
    form.elements.lti_storage_nonce.value = values[1];
    form.submit();
  }, fail);
})();
