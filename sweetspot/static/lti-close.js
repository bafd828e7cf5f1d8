// LTI Dynamic Registration §3.7: tell the platform the registration is done, so it closes this frame or window.
(window.opener || window.parent).postMessage({ subject: "org.imsglobal.lti.close" }, "*");
