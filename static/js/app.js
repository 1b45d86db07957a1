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

  // The document form shows only the fields of the chosen kind: <form data-document-form> with
  // <select name="kind"> and wrappers <div data-kinds="reminder task_report">.
  function showKindFields(form) {
    var select = form.querySelector("select[name='kind']");
    if (!select) { return; }
    form.querySelectorAll("[data-kinds]").forEach(function (element) {
      var kinds = (element.getAttribute("data-kinds") || "").split(" ");
      element.classList.toggle("d-none", kinds.indexOf(select.value) === -1);
    });
  }
  document.querySelectorAll("form[data-document-form]").forEach(function (form) {
    showKindFields(form);
    form.addEventListener("change", function (event) {
      if (event.target && event.target.name === "kind") { showKindFields(form); }
    });
  });

  // Progress bars of bulk jobs: <div data-job-progress data-job-id="7" data-job-url="…/progress"
  // data-job-status="running">; the JSON route answers {status, percent, message, finished, result_url}.
  function updateJob(box, job) {
    var bar = box.querySelector("[data-job-bar]");
    var inner = bar ? bar.querySelector(".progress-bar") : null;
    var percent = Math.max(0, Math.min(100, parseInt(job.percent, 10) || 0));
    if (bar) { bar.setAttribute("aria-valuenow", String(percent)); }
    if (inner) {
      Array.prototype.slice.call(inner.classList).forEach(function (name) {
        if (/^w-pct-\d+$/.test(name)) { inner.classList.remove(name); }
      });
      inner.classList.add("w-pct-" + percent);
      if (job.finished) {
        inner.classList.remove("progress-bar-striped", "progress-bar-animated");
        inner.classList.add(job.status === "done" ? "bg-success" : "bg-danger");
      }
    }
    var label = box.querySelector("[data-job-percent]");
    if (label) { label.textContent = percent + "%"; }
    var status = box.querySelector("[data-job-status-label]");
    if (status) { status.textContent = job.status_label || job.status; }
    var message = box.querySelector("[data-job-message]");
    if (message) { message.textContent = job.message || ""; }
    box.setAttribute("data-job-status", job.status);
    var link = box.querySelector("[data-job-result]");
    if (link && job.done && job.result_url) {
      link.setAttribute("href", job.result_url);
      link.classList.remove("d-none");
    }
    if (job.failed) { showJobError(box, job.message || "Tạo biểu mẫu không thành công."); }
  }

  function showJobError(box, text) {
    var error = box.querySelector("[data-job-error]");
    if (error) {
      error.textContent = text;
      error.classList.remove("d-none");
    }
  }

  function pollJob(box, failures) {
    var url = box.getAttribute("data-job-url");
    if (!url || !window.fetch) { return; }
    window.fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}, cache: "no-store"})
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") === -1) { throw new Error("not json"); }
        return response.json().then(function (body) {
          if (!response.ok) {
            var refused = new Error(body.error || "Không xem được tiến độ.");
            refused.fromServer = true;
            throw refused;
          }
          return body;
        });
      })
      .then(function (job) {
        updateJob(box, job);
        if (!job.finished) { window.setTimeout(function () { pollJob(box, 0); }, 1500); }
      })
      .catch(function (error) {
        if (!error.fromServer && failures < 3) {  // a network hiccup: try again a little later
          window.setTimeout(function () { pollJob(box, failures + 1); }, 3000);
          return;
        }
        showJobError(box, error.fromServer ? error.message :
          "Không cập nhật được tiến độ (có thể phiên đăng nhập đã hết hạn); hãy tải lại trang.");
      });
  }

  document.querySelectorAll("[data-job-progress]").forEach(function (box) {
    var status = box.getAttribute("data-job-status");
    if (status === "queued" || status === "running") { pollJob(box, 0); }
  });
})();

/* Issue 15: a checkbox that selects every checkbox of a list: <input data-select-all="task"> checks
   the inputs named "task". */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var box = event.target;
    var name = box && box.getAttribute && box.getAttribute("data-select-all");
    if (!name) { return; }
    document.querySelectorAll("input[type='checkbox'][name='" + name + "']").forEach(function (other) {
      other.checked = box.checked;
    });
  });
})();

/* Issue 15: the searchable unit picker (Tom Select, vendored in static/vendor/tom-select). Every
   select of units (lead unit, coordinating units, filters, accounts) becomes a box where typing a few
   letters, with or without diacritics, finds the unit among the 150; a multiple select keeps the
   chosen units as removable chips instead of Ctrl-click. Without JavaScript the plain select works. */
(function () {
  "use strict";
  if (typeof window.TomSelect !== "function") { return; }
  var selector = "select[data-unit-picker], select[name='lead_unit'], select[name='coordinating'], " +
    "select[name='unit'], select[name='issuer']";
  document.querySelectorAll(selector).forEach(function (select) {
    if (select.tomselect) { return; }
    var multiple = select.multiple;
    var label = select.id ? document.querySelector("label[for='" + select.id + "']") : null;
    // Tom Select points the label at its own text box; the (hidden) select keeps its name too.
    if (label && !select.getAttribute("aria-label")) { select.setAttribute("aria-label", label.textContent.trim()); }
    var options = {
      create: false,
      maxOptions: 500,
      refreshThrottle: 0,  // 150 local options: filter at each key, no timer to race with
      allowEmptyOption: true,
      placeholder: multiple ? "Gõ tên đơn vị để tìm…" : null,
      plugins: multiple ? ["remove_button"] : [],
      clearAfterSelect: true,  // the next unit is typed into an empty box, not after the last search
      render: {
        no_results: function () { return "<div class=\"no-results\">Không tìm thấy đơn vị</div>"; }
      },
      onInitialize: function () {
        // The typed box is announced with the field's own label.
        var input = this.control_input;
        if (label && input) { input.setAttribute("aria-label", label.textContent.trim()); }
      }
    };
    if (multiple) { select.removeAttribute("size"); }
    // eslint-disable-next-line no-new
    new window.TomSelect(select, options);
  });
})();

/* Issue 15: a form typed before the session ended (or refused) comes back filled in. The server
   hands its fields in <div id="kept-form" data-action="/path" data-fields='[["name","value"],…]'>;
   the form posting to that address gets them, and its <details> opens. */
(function () {
  "use strict";
  var kept = document.getElementById("kept-form");
  if (!kept) { return; }
  var action = kept.getAttribute("data-action");
  var fields;
  try { fields = JSON.parse(kept.getAttribute("data-fields") || "[]"); } catch (e) { return; }
  var form = Array.prototype.find.call(document.forms, function (candidate) {
    // getAttribute: a form with a field named "action" hides the form's own .action property.
    return new URL(candidate.getAttribute("action") || "", window.location.href).pathname === action;
  });
  if (!form) { return; }
  var multi = {};
  fields.forEach(function (pair) {
    var name = pair[0], value = pair[1];
    if (name === "csrf_token") { return; }
    var element = form.elements.namedItem(name);
    if (!element) { return; }
    if (element.tagName === "SELECT" && element.multiple) {
      multi[name] = multi[name] || [];
      multi[name].push(value);
      Array.prototype.forEach.call(element.options, function (o) { o.selected = multi[name].indexOf(o.value) !== -1; });
      if (element.tomselect) { element.tomselect.setValue(multi[name], true); }
    } else if (element.type === "checkbox") {
      element.checked = true;
    } else if (element.type !== "hidden" && element.type !== "file") {
      element.value = value;
      if (element.tomselect) { element.tomselect.setValue(value, true); }
    }
  });
  var details = form.closest("details");
  if (details) { details.open = true; }
  form.scrollIntoView({block: "center"});
})();
