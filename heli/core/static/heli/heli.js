/* Scripts shared by the staff pages. (The picker of regions, organizations and members is
   heli/picker.js, loaded by the forms that use it.) */

/* What would otherwise be inline script or style, which the Content-Security-Policy refuses:
 *   <select data-autosubmit>   submits its form when a choice is made (language, page size)
 *   <a href="…" data-back>     goes back in the browser's history (the href where there is none)
 *   data-width="42"            the element's width in percent (a progress bar)
 */
(function () {
  "use strict";
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  document.querySelectorAll("a[data-back]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (window.history.length > 1) {
        event.preventDefault();
        window.history.back();
      }
    });
  });
  document.querySelectorAll("[data-width]").forEach(function (element) {
    element.style.width = element.getAttribute("data-width") + "%";
  });
})();

/* Confirmation of destructive actions in a modal of the page (base.html's #confirm-modal),
 * never the browser's confirm(): it looks like the rest of heli, speaks the page's language and
 * tests can drive it.
 *
 * Attributes, on a <form> (checked on submit) or an <a> (checked on click):
 *   data-confirm="question"       required: the question, shown as plain text (never HTML)
 *   data-confirm-title="title"    optional: the modal's title (default "Please confirm")
 *   data-confirm-button="label"   optional: the label of the confirming button (default "Confirm")
 * A submit button may carry the same attributes; they then win over its form's, so a form with
 * several actions (a batch of ticked rows, say) asks a different question for each button.
 * The attributes are read when the person submits, so a script may rewrite data-confirm before
 * (e.g. "将对 30 项执行…" with the number of ticked rows). The form is submitted only on Confirm,
 * with the button that was pressed (its name and value); Cancel, the close button or Escape
 * change nothing. The browser's own validation (required fields) runs before the question.
 */
(function () {
  "use strict";
  var element = document.getElementById("confirm-modal");
  if (!element || !window.bootstrap) { return; }
  var modal = window.bootstrap.Modal.getOrCreateInstance(element);
  var slots = {
    title: element.querySelector("[data-confirm-slot=title]"),
    message: element.querySelector("[data-confirm-slot=message]"),
    button: element.querySelector("[data-confirm-slot=button]")
  };
  var defaults = { title: slots.title.textContent, button: slots.button.textContent };
  var proceed = null;
  var confirmed = new WeakSet();  // forms whose next submit was confirmed

  function ask(source, then) {
    slots.title.textContent = source.getAttribute("data-confirm-title") || defaults.title;
    slots.message.textContent = source.getAttribute("data-confirm");
    slots.button.textContent = source.getAttribute("data-confirm-button") || defaults.button;
    proceed = then;
    modal.show();
  }

  slots.button.addEventListener("click", function () {
    var then = proceed;
    proceed = null;
    modal.hide();
    if (then) { then(); }
  });
  // Enter or Space on the first focus cancels: a destructive action takes a deliberate choice.
  var cancel = element.querySelector("[data-testid=confirm-cancel]");
  element.addEventListener("shown.bs.modal", function () { cancel.focus(); });
  element.addEventListener("hidden.bs.modal", function () { proceed = null; });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter || null;
    var source = submitter && submitter.hasAttribute("data-confirm") ? submitter : form;
    if (!source.hasAttribute || !source.hasAttribute("data-confirm")) { return; }
    if (confirmed.has(form)) { return; }
    event.preventDefault();
    ask(source, function () {
      // requestSubmit fires the submit event at once (and only if the form is still valid),
      // so the mark never outlives this call.
      confirmed.add(form);
      if (form.requestSubmit) { form.requestSubmit(submitter); } else { form.submit(); }
      confirmed.delete(form);
    });
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-confirm]") : null;
    if (!link || event.defaultPrevented) { return; }
    event.preventDefault();
    ask(link, function () { window.location.assign(link.href); });
  });
})();
