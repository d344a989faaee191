/* The picker of one region, organization or member (control/widgets.py NodeLookup): a Tom
   Select bound to the id, its options loaded from the scoped lookup URL as the user types.
   The server matches (name, pinyin initials, parent's name), so the browser filters nothing.
   Text typed and never picked is not dropped in favour of the old value: it is posted as
   "?text", which the form refuses with its error. */
(function () {
  "use strict";
  var UNMATCHED = "?";

  function setup(select) {
    if (select.tomselect) {
      return;
    }
    var texts = select.dataset;
    var url = texts.pickerUrl;
    var typed = ""; // what is in the box since the last pick
    var answered = null; // the query the loaded options answer
    var shown = {}; // ids the server returned for it

    function showUnmatched(on) {
      // A red box and a title, no message below it: a line inserted on blur would move the
      // Save button away from under the pointer of the click that caused the blur. The
      // server's error says the rest.
      ts.wrapper.classList.toggle("is-invalid", on);
      if (on) {
        ts.wrapper.setAttribute("title", texts.pickerUnmatched);
      } else {
        ts.wrapper.removeAttribute("title");
      }
    }

    function setTyped(text) {
      typed = text;
      // While text is typed it replaces the shown choice, as in a text box (CSS in picker.css).
      ts.wrapper.classList.toggle("picker-typing", text !== "");
    }

    function settle() {
      if (!typed) {
        return;
      }
      var raw = UNMATCHED + typed;
      setTyped("");
      ts.addOption({ id: raw, label: raw.slice(UNMATCHED.length) });
      ts.setValue(raw, true);
      showUnmatched(true);
    }

    var ts = new TomSelect(select, {
      valueField: "id",
      labelField: "label",
      searchField: [],
      create: false,
      maxItems: 1,
      maxOptions: null,
      preload: "focus",
      refreshThrottle: 0,
      loadThrottle: 250,
      placeholder: texts.pickerPlaceholder,
      plugins: select.hasAttribute("data-picker-clear") ? { clear_button: { title: texts.pickerClear } } : [],
      shouldLoad: function () {
        return true; // an empty box lists the first nodes of the user's scope
      },
      score: function (query) {
        // Only what the server returned for this very query: while an answer is on its way,
        // Enter must not pick a stale option of the previous one.
        return function (item) {
          return query === answered && shown[item.id] ? 1 : 0;
        };
      },
      load: function (query, callback) {
        var self = this;
        function forget(unanswered) {
          // Tom Select asks only once per query: let it ask again when this one comes back.
          delete self.loadedSearches[unanswered];
          callback();
        }
        var sep = url.indexOf("?") === -1 ? "?" : "&";
        fetch(url + sep + "q=" + encodeURIComponent(query), {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        })
          .then(function (response) {
            if (!response.ok) {
              throw new Error(String(response.status));
            }
            return response.json();
          })
          .then(function (data) {
            if (self.inputValue() !== query) {
              // The user typed on. The newer query is usually on its way already, but not
              // when the preload of focusing came after the typing and its debounce swallowed
              // it: ask for it (a query already asked is not asked twice).
              forget(query);
              self.load(self.inputValue());
              return;
            }
            self.clearOptions(); // keeps the selected one; forgets answers to other queries
            answered = query;
            shown = {};
            data.results.forEach(function (item) {
              shown[item.id] = true;
            });
            callback(data.results);
          })
          .catch(function () {
            forget(query);
          });
      },
      render: {
        no_results: function (data, escape) {
          return '<div class="no-results">' + escape(texts.pickerNoResults) + "</div>";
        },
      },
      onItemAdd: function (value) {
        setTyped("");
        if (String(value).indexOf(UNMATCHED) !== 0) {
          showUnmatched(false);
        }
      },
      onItemRemove: function () {
        showUnmatched(false);
      },
    });

    ts.control_input.addEventListener("input", function () {
      setTyped(ts.control_input.value.trim());
    });
    ts.control_input.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        setTyped(""); // Esc gives up the typing and keeps the choice there was
      }
    });
    ts.control_input.addEventListener("blur", settle);
    if (select.form) {
      // Enter before the suggestions arrive submits the form without a blur.
      select.form.addEventListener("submit", settle);
    }
  }

  document.querySelectorAll("select[data-picker-url]").forEach(setup);
})();
