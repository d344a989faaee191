/* Search-as-you-type choice of one tree node (region or organization) for staff forms. */
(function () {
  "use strict";
  function setup(box) {
    var url = box.getAttribute("data-lookup-url");
    var hidden = box.querySelector(".node-lookup-value");
    var input = box.querySelector(".node-lookup-input");
    var list = box.querySelector("datalist");
    var known = {};
    var timer = null;
    function load() {
      var sep = url.indexOf("?") === -1 ? "?" : "&";
      fetch(url + sep + "q=" + encodeURIComponent(input.value), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          list.innerHTML = "";
          data.results.forEach(function (item) {
            known[item.label] = item.id;
            var option = document.createElement("option");
            option.value = item.label;
            list.appendChild(option);
          });
          pick();
        });
    }
    function pick() {
      if (Object.prototype.hasOwnProperty.call(known, input.value)) {
        hidden.value = known[input.value];
      } else if (input.value === "") {
        hidden.value = "";
      }
    }
    input.addEventListener("input", function () {
      pick();
      clearTimeout(timer);
      timer = setTimeout(load, 200);
    });
    input.addEventListener("change", pick);
    input.addEventListener("focus", function () { if (!list.children.length) { load(); } });
  }
  document.querySelectorAll(".node-lookup").forEach(setup);
})();
