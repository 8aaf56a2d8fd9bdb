/* Optional extras; every page works without them. The resend countdown ticks (the server already
   printed its starting value and refuses an early resend), and the receipt gets a print button. */
(function () {
  "use strict";
  var fa = function (n) { return String(n).replace(/\d/g, function (d) { return "۰۱۲۳۴۵۶۷۸۹"[d]; }); };

  var counter = document.querySelector("[data-countdown]");
  if (counter) {
    var form = counter.closest("form");
    var button = form.querySelector("button");
    var left = parseInt(counter.getAttribute("data-countdown"), 10);
    button.disabled = true;
    var timer = setInterval(function () {
      left -= 1;
      if (left > 0) {
        counter.textContent = fa(left);
        return;
      }
      clearInterval(timer);
      document.getElementById("resend-note").textContent = "اکنون می‌توانید کد تازه بخواهید.";
      button.disabled = false;
    }, 1000);
  }

  var print = document.querySelector("[data-print]");
  if (print) {
    print.hidden = false;
    print.addEventListener("click", function () { window.print(); });
  }
})();
