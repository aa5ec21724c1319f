/* Saves the application form's answers in the background while the applicant types.
   Progressive enhancement: without this script "Save draft" does the same. Files are not sent
   here (they go with "Save draft" or "Submit"). Loaded as a file: the CSP forbids inline code. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave-url]");
  if (!form || !window.fetch || !window.FormData) {
    return;
  }
  var status = document.getElementById("autosave-status");
  var INTERVAL_MS = 5000;
  var dirty = false;
  var saving = false;
  var stopped = false;

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  function markDirty(event) {
    if (event.target && event.target.type !== "file") {
      dirty = true;
    }
  }

  function save() {
    if (!dirty || saving || stopped) {
      return;
    }
    var data = new FormData(form);
    Array.prototype.forEach.call(form.querySelectorAll("input[type=file]"), function (input) {
      data.delete(input.name);
    });
    data.delete("save");
    data.delete("submit");
    dirty = false;
    saving = true;
    fetch(form.getAttribute("data-autosave-url"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Requested-With": "XMLHttpRequest" }
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (result) {
        var text = form.getAttribute("data-saved-text").replace("%s", result.saved_at);
        if (result.errors && Object.keys(result.errors).length) {
          text += " " + form.getAttribute("data-errors-text");
        }
        say(text);
      })
      .catch(function () {
        dirty = true; // try again at the next tick
        say(form.getAttribute("data-failed-text"));
      })
      .then(function () {
        saving = false;
      });
  }

  form.addEventListener("input", markDirty);
  form.addEventListener("change", markDirty);
  // The buttons send everything, files included: no background save may race with them.
  form.addEventListener("submit", function () {
    stopped = true;
  });
  window.setInterval(save, INTERVAL_MS);
})();
