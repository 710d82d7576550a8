// What Alternative Payments' web SDK does with a checkout token: it holds
// the token, calls the provider's browser-facing API with it, and when the
// API says the token has expired (401) asks the backend for a new one
// (onAccessTokenExpired) once, then retries. The backend's endpoint is
// altpay.RefreshHandler; the browser never sees a client credential.
(function () {
  "use strict";
  var root = document.getElementById("checkout");
  var api = root.dataset.api;
  var status = document.getElementById("status");
  var button = document.getElementById("pay-button");
  var token = null;

  function show(text, cls) {
    status.textContent = text;
    status.className = cls || "";
  }

  // expired, when set, is the token the API refused: the backend drops it
  // before minting, so the new token is really new.
  function refresh(expired) {
    return fetch("/checkout/token", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(expired ? { expiredToken: expired } : {})
    }).then(function (r) {
      if (!r.ok) { throw new Error("could not get a checkout token (" + r.status + ")"); }
      return r.json();
    }).then(function (body) { token = body.token; });
  }

  function pay(retried) {
    return fetch(api + "/v1/checkout/pay", {
      method: "POST",
      headers: { "Authorization": "Bearer " + token }
    }).then(function (r) {
      if (r.status === 401 && !retried) {
        return refresh(token).then(function () { return pay(true); });
      }
      if (!r.ok) { throw new Error("payment failed (" + r.status + ")"); }
      return r.json();
    });
  }

  refresh(null).then(function () {
    show("Ready to pay.", "muted");
    button.disabled = false;
  }, function (err) { show(err.message, "error"); });

  button.addEventListener("click", function () {
    button.disabled = true;
    show("Paying…", "muted");
    pay(false).then(function (res) {
      show("Paid: invoice " + res.invoice_id + ".", "paid");
    }, function (err) {
      show(err.message, "error");
      button.disabled = false;
    });
  });
})();
