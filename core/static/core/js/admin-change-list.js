/* What jazzmin's change_list.js reads before it turns the list filters into select2 boxes: how many
   letters a filter's search needs, per filter (ModelAdmin.filter_input_length, printed by the template
   as JSON data) and by default. Jazzmin sets these in an inline script, which the
   Content-Security-Policy refuses. */
(function () {
  "use strict";
  var data = document.getElementById("jazzmin-filter-input-length");
  window.filterInputLengthDefault = 0;
  window.filterInputLength = (data && JSON.parse(data.textContent)) || {};
})();
