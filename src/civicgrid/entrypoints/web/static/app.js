/* civicgrid pages: the little JavaScript every page shares. No inline scripts (the CSP forbids them). */
(function () {
  "use strict";
  var meta = function (name) {
    var el = document.querySelector('meta[name="' + name + '"]');
    return el ? el.getAttribute("content") : "";
  };
  var civicgrid = (window.civicgrid = window.civicgrid || {});
  civicgrid.locale = meta("locale") || "zh_CN";

  /* JSON API call with the session's CSRF token and the page's language; resolves {ok, status, data}. */
  civicgrid.api = function (method, url, body) {
    var headers = { Accept: "application/json", "Accept-Language": civicgrid.locale === "en" ? "en" : "zh-CN" };
    var token = meta("csrf-token");
    if (token) headers["X-CSRF-Token"] = token;
    var init = { method: method, headers: headers, credentials: "same-origin" };
    if (body instanceof FormData) {
      init.body = body;
    } else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (res) {
      return res.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        return { ok: res.ok, status: res.status, data: data };
      });
    });
  };

  /* The message of an API refusal ({"error": {"message"}}), or a fallback text. */
  civicgrid.errorText = function (result, fallback) {
    return (result && result.data && result.data.error && result.data.error.message) || fallback;
  };

  /* Forms and buttons with data-confirm ask first. */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var question = (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  /* Elements with data-autosubmit submit their form on change (filters). */
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) el.form.submit();
  });
})();
