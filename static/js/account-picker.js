/* The enterprise picker of the account creation page: the search box (htmx) lists the city's
   enterprises; choosing one fills the USCC field. Without JavaScript the box stays hidden and
   the USCC is typed. */
(function () {
  "use strict";
  var picker = document.getElementById("enterprise-picker");
  var field = document.getElementById("id_enterprise");
  var picked = document.getElementById("enterprise-picked");
  if (!picker || !field || !picked) return;
  picker.hidden = false;

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("#enterprise-results button.pick") : null;
    if (!button) return;
    field.value = button.getAttribute("data-uscc");
    picked.textContent = "已选择：" + button.getAttribute("data-name") + "（" + field.value + "）";
    picked.hidden = false;
    var results = document.getElementById("enterprise-results");
    if (results) results.textContent = "";
  });

  // Enter in the search box searches; it does not submit the account form.
  document.getElementById("enterprise-search").addEventListener("keydown", function (event) {
    if (event.key === "Enter") event.preventDefault();
  });
})();
