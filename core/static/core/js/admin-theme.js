/* The admin's colour mode, set in <head> before the page paints (jazzmin's own inline script, moved
   here because the Content-Security-Policy refuses inline script). The mode chosen last, else the
   default that the template passes in data-default-mode. */
(function () {
  "use strict";
  var mode = localStorage.getItem("jazzmin-theme-mode") || document.currentScript.getAttribute("data-default-mode");
  if (mode === "auto") {
    mode = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  document.documentElement.setAttribute("data-bs-theme", mode || "light");
})();
