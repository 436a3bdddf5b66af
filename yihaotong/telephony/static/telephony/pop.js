/* Screen pop on the intake desk: when the desk's poll brings a call the operator answered, fill the phone
   (only when it is empty: never over what the operator typed) and show the caller's history. Setting a
   value never moves the focus, so the operator keeps typing where they were. */
(function () {
  "use strict";
  function showCaller(phone, force) {
    var input = document.getElementById("id_phone");
    if (!input || !phone) return;
    if (!force && input.value.trim()) return;
    input.value = phone;
    var url = input.getAttribute("hx-get");
    if (url && window.htmx) {
      htmx.ajax("GET", url + "?phone=" + encodeURIComponent(phone), { target: "#history-pane", swap: "innerHTML" });
    }
  }
  document.addEventListener("htmx:afterSwap", function (e) {
    var slot = e.detail && e.detail.target;
    if (!slot || slot.id !== "call-pop") return;
    var pop = slot.querySelector("[data-phone]");
    if (pop) showCaller(pop.dataset.phone, false);
  });
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-use-phone]");
    if (button) showCaller(button.dataset.usePhone, true);
  });
})();
