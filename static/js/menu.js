/* The top navigation is a <details> menu (base.html): folded behind 菜单 on a phone, open in the
   bar on a wider screen. Browsers that style ::details-content show it open by CSS alone; this
   keeps the element's state in step for the others (and closes the menu after a phone rotates). */
(function () {
  "use strict";
  var menu = document.getElementById("menu");
  if (!menu || !window.matchMedia) return;
  var wide = window.matchMedia("(min-width: 641px)");
  function follow() { menu.open = wide.matches; }
  follow();
  if (wide.addEventListener) wide.addEventListener("change", follow);
})();
