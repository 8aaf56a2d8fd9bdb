/*
 * Names for the admin's autocomplete boxes (every admin page: config/settings/jazzmin.py, custom_js).
 * Select2 hides the labelled <select> and draws its own combobox, named only by the value chosen: an empty
 * box has no name at all, and neither has the search field of a multiple choice (axe: aria-input-field-name,
 * label). Each drawn part is named after the <select>'s own <label>.
 */
(function () {
  "use strict";

  function labelOf(select) {
    return select.id ? document.querySelector('label[for="' + CSS.escape(select.id) + '"]') : null;
  }

  function nameBoxes(root) {
    root.querySelectorAll("select.select2-hidden-accessible").forEach(function (select) {
      var box = select.nextElementSibling;
      var label = labelOf(select);
      if (!box || !box.classList.contains("select2") || !label) {
        return;
      }
      var name = label.textContent.replace(/[:：]\s*$/, "").trim();
      if (!label.id) {
        label.id = select.id + "-label";
      }
      box.querySelectorAll(".select2-selection[role=combobox]").forEach(function (combobox) {
        // The label first, then the value Select2 already names it by.
        var rendered = combobox.querySelector(".select2-selection__rendered");
        combobox.setAttribute("aria-labelledby", [label.id, rendered && rendered.id].filter(Boolean).join(" "));
      });
      box.querySelectorAll(".select2-selection__rendered, .select2-search__field").forEach(function (part) {
        part.setAttribute("aria-label", name);
      });
    });
  }

  // After Django's autocomplete.js has drawn the boxes: its jQuery ready handler was queued first.
  if (window.django && window.django.jQuery) {
    window.django.jQuery(function () { nameBoxes(document); });
  } else {
    document.addEventListener("DOMContentLoaded", function () { nameBoxes(document); });
  }
  // jazzmin draws the boxes of its plain choices (the staff page's role, Kanoons and branches) in a ready
  // handler of another jQuery, which may run even after the page's load event: each box drawn later is
  // named when it appears.
  new MutationObserver(function (mutations) {
    var drawn = mutations.some(function (mutation) {
      return Array.prototype.some.call(mutation.addedNodes, function (node) {
        return node.nodeType === 1 && node.classList.contains("select2");
      });
    });
    if (drawn) {
      nameBoxes(document);
    }
  }).observe(document.documentElement, { childList: true, subtree: true });
  // A row added to an inline draws its boxes in a listener registered before this one.
  document.addEventListener("formset:added", function (event) { nameBoxes(event.target); });
})();
