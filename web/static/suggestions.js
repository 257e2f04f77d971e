// Filing suggestions on the intake document page: pressing a suggested value puts it into its form field, and
// nothing else. Nothing is filled until the person presses; the form is still checked and sent by the person.
// A button names its field (data-fill, the input's id) and, for the class "fonds/category/year/retention/department",
// the part it fills (data-part, counted from 0).
(function () {
  "use strict";

  function fillPart(input, part, value) {
    var parts = input.value.split("/");
    while (parts.length < 5) {
      parts.push("");
    }
    parts[part] = value;
    input.value = parts.join("/");
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.suggestion[data-fill]");
    if (!button) {
      return;
    }
    var input = document.getElementById(button.getAttribute("data-fill"));
    if (!input) {
      return;
    }
    var value = button.getAttribute("data-value") || "";
    if (button.hasAttribute("data-part")) {
      fillPart(input, Number(button.getAttribute("data-part")), value);
    } else {
      input.value = value;
    }
    var list = button.closest(".suggestions");
    if (list) {
      list.querySelectorAll("button.suggestion").forEach(function (other) {
        other.setAttribute("aria-pressed", other === button ? "true" : "false");
      });
    }
    input.focus();
  });
}());
