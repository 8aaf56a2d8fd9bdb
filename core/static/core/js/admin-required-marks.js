/* A red star before every required field of the password forms (jazzmin's inline script, moved here
   because the Content-Security-Policy refuses inline script). */
(function () {
  "use strict";
  document.querySelectorAll("[required]").forEach(function (field) {
    var mark = document.createElement("span");
    mark.className = "text-red";
    mark.style.marginLeft = "-10px";
    mark.textContent = "* ";
    field.before(mark);
  });
})();
