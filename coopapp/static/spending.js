// The entry form: the spending fields (明细科目, 支付方式, 收款人) are shown only for a spending kind.
// Without this script they are always shown, and the server refuses them on other kinds.
(function () {
  "use strict";
  var box = document.querySelector("[data-spending-fields]");
  var kind = document.querySelector("select[name=kind]");
  if (!box || !kind) return;
  var kinds = (box.getAttribute("data-spending-kinds") || "").split(" ");
  function sync() { box.hidden = kinds.indexOf(kind.value) < 0; }
  kind.addEventListener("change", sync);
  sync();
})();
