// The owners' pages, made nicer where scripts run; everything works without them.
// - "Copy link" copies the survey's public link (navigator.clipboard).
// - The question form shows only the options and settings of the chosen kind.
"use strict";

(function () {
  function setUpCopy(button) {
    var source = document.getElementById(button.getAttribute("data-ow-copy"));
    var status = document.querySelector("[data-ow-copy-status]");
    if (!source || !navigator.clipboard || !window.isSecureContext) {
      return; // the link stays selectable in its field
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.value).then(
        function () { if (status) { status.textContent = "Link copied."; } },
        function () {
          source.select();
          if (status) { status.textContent = "Copying failed: the link is selected, copy it by hand."; }
        }
      );
    });
  }

  function setUpKind(select) {
    var form = select.form;
    var parts = form.querySelectorAll("[data-ow-kinds]");
    function show() {
      for (var i = 0; i < parts.length; i++) {
        var kinds = parts[i].getAttribute("data-ow-kinds").split(" ");
        parts[i].hidden = kinds.indexOf(select.value) === -1;
      }
    }
    select.addEventListener("change", show);
    show();
  }

  document.querySelectorAll("[data-ow-copy]").forEach(setUpCopy);
  document.querySelectorAll("select[data-ow-kind]").forEach(setUpKind);
})();
