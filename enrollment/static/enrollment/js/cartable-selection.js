/* The cartable's selection count in Persian: Django's actions.js writes "3 of 50 selected" (Latin digits,
   its own words) after every tick; this rewrites it, right after, in the words the page already uses:
   «۳ از ۵۰ درخواست این صفحه انتخاب شده». The action bar's template loads it (a file: the
   Content-Security-Policy refuses inline script). */
(function () {
  "use strict";
  if (window.cartableSelectionCount) {
    return;
  }
  window.cartableSelectionCount = true;
  var digits = "۰۱۲۳۴۵۶۷۸۹";

  function persian(number) {
    return String(number).replace(/[0-9]/g, function (d) {
      return digits[Number(d)];
    });
  }

  function update() {
    var ticked = document.querySelectorAll("#result_list input.action-select:checked").length;
    document.querySelectorAll("span.action-counter").forEach(function (counter) {
      var onPage = Number(counter.dataset.actionsIcnt);
      counter.textContent = persian(ticked) + " از " + persian(onPage) + " درخواست این صفحه انتخاب شده";
    });
  }

  // Bubbling to the document runs after the handlers actions.js put on the checkboxes themselves.
  document.addEventListener("change", update);
  document.addEventListener("click", function (event) {
    if (event.target && event.target.id === "action-toggle") {
      update();
    }
  });
})();
