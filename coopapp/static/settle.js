// A page that answers a form's post (a confirmation, an import's preview, a form shown again with its
// faults) takes, in the browser's history, the plain address `data-settle` names: going Back to it
// later opens that page instead of Chrome's "Confirm Form Resubmission" (ERR_CACHE_MISS).
(function () {
  var address = document.body && document.body.getAttribute("data-settle");
  if (address && window.history && window.history.replaceState) {
    window.history.replaceState(null, "", address);
  }
})();
