/* Small behaviours of the pages. Loaded as a file (no inline scripts), so a
   Content-Security-Policy without 'unsafe-inline' keeps working. */
(function () {
  "use strict";

  // Forms that change something important ask first: <form data-confirm="...">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form && form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  }, true);

  // A button that prints the page: <button data-action="print">.
  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("[data-action='print']") : null;
    if (target) {
      event.preventDefault();
      window.print();
    }
  });

  // A second click on a submit button while the request is on its way is ignored.
  document.addEventListener("submit", function (event) {
    if (event.defaultPrevented) { return; }
    var form = event.target;
    if (form.method && form.method.toLowerCase() === "post") {
      window.setTimeout(function () {
        form.querySelectorAll("button[type='submit']").forEach(function (button) { button.disabled = true; });
      }, 0);
    }
  });
})();
