/* The decision form's "common opinions" list: picking one puts its text into the opinion box,
   where the reviewer can edit it. Without this script the page still works: the server uses the
   picked opinion when the box is left empty (approvals/forms.py, DecisionForm.clean). */
(function () {
  "use strict";
  document.querySelectorAll("select[data-fills]").forEach(function (select) {
    var box = document.getElementById(select.getAttribute("data-fills"));
    if (!box) { return; }
    var lastFilled = "";
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      var text = option && option.getAttribute("data-opinion");
      if (!text) { return; }
      var current = box.value.trim();
      // Replace what an earlier pick put there; keep what the reviewer typed and add below it.
      box.value = (!current || current === lastFilled) ? text : box.value.replace(/\s+$/, "") + "\n" + text;
      lastFilled = box.value.trim();
      var outcome = option.getAttribute("data-outcome");
      var radio = outcome && document.querySelector('input[name="outcome"][value="' + outcome + '"]');
      if (radio && !document.querySelector('input[name="outcome"]:checked')) { radio.checked = true; }
      box.focus();
    });
  });
})();
