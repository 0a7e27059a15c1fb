// Ask before what cannot be undone, in a dialog (issue 17). A form with data-confirm shows that
// sentence (the server's, with its numbers); OK adds confirmed=1, so the server acts at once instead of
// showing its confirmation page; Cancel sends nothing. Without this script the server's page asks.
document.querySelectorAll("form[data-confirm]").forEach(function (form) {
  form.addEventListener("submit", function (event) {
    var added = form.querySelector("input[data-confirmed]");
    if (added) {
      added.remove(); // a form shown again (the back button) asks again
    }
    if (!window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
      return;
    }
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = "confirmed";
    input.value = "1";
    input.setAttribute("data-confirmed", "");
    form.appendChild(input);
  });
});
