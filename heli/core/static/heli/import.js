/* Import job page: poll the job's status while a worker is on it, move the progress bar, and
   reload the page when the job reaches its next state (the server renders the outcome). */
(function () {
  "use strict";
  var box = document.querySelector("[data-import-status-url]");
  if (!box) { return; }
  var url = box.getAttribute("data-import-status-url");
  var badge = document.querySelector("[data-testid=import-status]");
  var bar = box.querySelector(".progress-bar");
  var meter = box.querySelector("[role=progressbar]");
  var text = box.querySelector("[data-progress-text]");
  var savingText = box.getAttribute("data-saving-text");
  var delay = 500;
  function show(data) {
    bar.style.width = data.percent + "%";
    bar.textContent = data.percent + "%";
    meter.setAttribute("aria-valuenow", data.percent);
    if (data.status === "saving") {
      text.textContent = savingText;
    } else if (data.total) {
      text.textContent = data.processed.toLocaleString() + " / " + data.total.toLocaleString();
    }
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) { throw new Error(r.status); }
        return r.json();
      })
      .then(function (data) {
        delay = 500;
        if (!data.running) {
          window.location.reload();
          return;
        }
        if (badge) { badge.textContent = data.label; }
        show(data);
        setTimeout(poll, delay);
      })
      .catch(function () {
        delay = Math.min(delay * 2, 10000);  // the server is busy or gone: ask less often
        setTimeout(poll, delay);
      });
  }
  setTimeout(poll, delay);
})();
