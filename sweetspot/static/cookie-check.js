// Before the OIDC redirect inside an LMS iframe: continue if this frame may keep cookies, else offer a new window.
(function () {
  var box = document.getElementById("cookie-check");
  var secure = location.protocol === "https:";
  document.cookie = "sweetspot-cookie-check=1; path=/; max-age=60" + (secure ? "; SameSite=None; Secure; Partitioned" : "");
  if (document.cookie.indexOf("sweetspot-cookie-check=1") !== -1) {
    location.replace(box.dataset.authUrl);
  } else {
    document.getElementById("checking").hidden = true;
    document.getElementById("blocked").hidden = false;
  }
})();
