/* List pages: ticking rows for batch actions (with a confirmation that says how many rows an
   action touches) and the tree picker of filters. The page size submits itself (heli.js's
   data-autosubmit); a risky link (a full export) asks through heli.js's data-confirm, the one
   confirmation modal of the pages. */
(function () {
  "use strict";

  function format(template, count) {
    return template.replace("%(count)s", String(count)).replace("{count}", String(count));
  }

  // Ticking rows.
  var picks = function () { return document.querySelectorAll("input[name=pick][form=batch-form]"); };
  var ticked = function () { return Array.prototype.filter.call(picks(), function (b) { return b.checked; }); };
  var counter = document.querySelector("[data-batch-count]");
  function recount() {
    if (counter) { counter.textContent = format(counter.getAttribute("data-template"), ticked().length); }
  }
  document.querySelectorAll("[data-pick-all]").forEach(function (all) {
    all.addEventListener("change", function () {
      picks().forEach(function (box) { box.checked = all.checked; });
      recount();
    });
  });
  picks().forEach(function (box) { box.addEventListener("change", recount); });
  recount();

  // A batch action opens its modal, which says how many rows it will touch.
  document.querySelectorAll("[data-batch-open]").forEach(function (button) {
    button.addEventListener("click", function () {
      var none = document.querySelector("[data-batch-none]");
      var count = ticked().length;
      if (!count) { if (none) { none.hidden = false; } return; }
      if (none) { none.hidden = true; }
      var modal = document.getElementById(button.getAttribute("data-batch-open"));
      modal.querySelectorAll("[data-batch-message]").forEach(function (p) {
        p.textContent = format(p.getAttribute("data-template"), count);
      });
      window.bootstrap.Modal.getOrCreateInstance(modal).show();
    });
  });

  // Tree picker: browse the region or organization tree (children loaded as they open), or
  // search it by name or pinyin initials; the chosen node's id goes into the hidden input.
  function node(picker, item) {
    var li = document.createElement("li");
    var row = document.createElement("div");
    row.className = "tree-picker-row";
    var toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "tree-picker-expand";
    toggle.textContent = item.has_children ? "▸" : "";
    toggle.disabled = !item.has_children;
    toggle.setAttribute("aria-label", item.name);
    var choose = document.createElement("button");
    choose.type = "button";
    choose.className = "tree-picker-choose";
    choose.textContent = item.label;
    choose.setAttribute("data-node-id", item.id);
    row.appendChild(toggle);
    row.appendChild(choose);
    li.appendChild(row);
    var children = document.createElement("ul");
    children.className = "list-unstyled ms-3";
    children.hidden = true;
    li.appendChild(children);
    toggle.addEventListener("click", function () {
      if (!children.hidden) { children.hidden = true; toggle.textContent = "▸"; return; }
      toggle.textContent = "▾";
      children.hidden = false;
      if (!children.children.length) { load(picker, children, "parent=" + item.id); }
    });
    choose.addEventListener("click", function () { pick(picker, item.id, item.label); });
    return li;
  }
  function load(picker, list, query) {
    var url = picker.getAttribute("data-nodes-url");
    fetch(url + (query ? "?" + query : ""), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        list.innerHTML = "";
        data.results.forEach(function (item) { list.appendChild(node(picker, item)); });
      });
  }
  function pick(picker, id, label) {
    picker.querySelector("input[type=hidden]").value = id;
    var button = picker.querySelector(".tree-picker-toggle");
    button.textContent = label;
    close(picker);
  }
  function close(picker) {
    picker.querySelector(".tree-picker-panel").hidden = true;
    picker.querySelector(".tree-picker-toggle").setAttribute("aria-expanded", "false");
  }
  document.querySelectorAll(".tree-picker").forEach(function (picker) {
    var panel = picker.querySelector(".tree-picker-panel");
    var list = picker.querySelector(".tree-picker-list");
    var search = picker.querySelector(".tree-picker-search");
    var timer = null;
    var allLabel = picker.querySelector(".tree-picker-clear").textContent;
    picker.querySelector(".tree-picker-toggle").addEventListener("click", function () {
      panel.hidden = !panel.hidden;
      this.setAttribute("aria-expanded", String(!panel.hidden));
      if (!panel.hidden) {
        if (!list.children.length) { load(picker, list, ""); }
        search.focus();
      }
    });
    picker.querySelector(".tree-picker-clear").addEventListener("click", function () {
      picker.querySelector("input[type=hidden]").value = "";
      picker.querySelector(".tree-picker-toggle").textContent = allLabel.replace(/[（(].*$/, "");
      close(picker);
    });
    search.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var term = search.value.trim();
        load(picker, list, term ? "q=" + encodeURIComponent(term) : "");
      }, 200);
    });
    document.addEventListener("click", function (event) {
      if (!picker.contains(event.target)) { close(picker); }
    });
  });
})();
