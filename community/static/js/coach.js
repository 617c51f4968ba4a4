// The welcome composer's coach: as the member types, ask the server for
// hints on the draft (debounced) and show them. Without JavaScript the same
// hints appear after sending the form.
(function () {
  "use strict";
  var form = document.getElementById("welcome-form");
  if (!form) { return; }
  var textarea = form.querySelector("textarea");
  var list = document.getElementById("coach-hints");
  var token = document.querySelector('meta[name="csrf-token"]');
  var timer = null;
  var latest = 0;

  function render(hints) {
    list.textContent = "";
    hints.forEach(function (hint) {
      var item = document.createElement("li");
      item.className = "hint " + (hint.ok ? "hint-ok" : "hint-todo");
      item.dataset.code = hint.code;
      var mark = document.createElement("span");
      mark.setAttribute("aria-hidden", "true");
      mark.textContent = hint.ok ? "\u2713" : "\u2022";
      item.appendChild(mark);
      item.appendChild(document.createTextNode(" " + hint.message));
      list.appendChild(item);
    });
  }

  function ask() {
    var mine = ++latest;
    fetch(form.dataset.coachUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRFToken": token ? token.content : ""
      },
      body: JSON.stringify({ text: textarea.value })
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (data && mine === latest) { render(data.hints); }
    }).catch(function () { /* hints are a help, not a requirement */ });
  }

  textarea.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(ask, 350);
  });
}());
