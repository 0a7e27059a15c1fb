// The entry form: the spending fields (明细科目, 支付方式, 收款人) are shown only for a spending kind;
// hidden, they are disabled too, so a value picked before the kind changed is not sent. Without
// this script they are always shown, and the server refuses them on other kinds.
(function () {
  "use strict";
  var box = document.querySelector("[data-spending-fields]");
  var kind = document.querySelector("select[name=kind]");
  if (!box || !kind) return;
  var kinds = (box.getAttribute("data-spending-kinds") || "").split(" ");
  var fields = box.querySelectorAll("input, select, textarea");
  function sync() {
    var off = kinds.indexOf(kind.value) < 0;
    box.hidden = off;
    for (var i = 0; i < fields.length; i++) fields[i].disabled = off;
  }
  kind.addEventListener("change", sync);
  sync();
})();
