/* New pull request: choosing another head branch reloads the page with ?head=… so the
   comparison (commits, files, conflicts) follows the choice. Without script the form still
   opens the pull request; the comparison shows for the branch the page was opened with. */
(function () {
  "use strict";
  var select = document.getElementById("thread-head");
  if (!select) { return; }
  select.addEventListener("change", function () {
    var url = new URL(window.location.href);
    url.searchParams.set("head", select.value);
    window.location.assign(url.toString());
  });
})();
