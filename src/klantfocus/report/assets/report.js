/* klantfocus report: sortable agent table, and filtering and paging of the conversations.
   Reads only data-* attributes and never builds markup from text, so transcript text
   cannot become script. Without JavaScript every conversation is listed, collapsed. */
(function () {
  "use strict";

  function number(value) {
    var parsed = parseFloat(value);
    return isNaN(parsed) ? null : parsed;
  }

  /* --- sortable tables: a button in each sortable header cell --- */
  Array.prototype.forEach.call(document.querySelectorAll("table.kf-sortable"), function (table) {
    var headers = table.querySelectorAll("th[data-sort]");
    Array.prototype.forEach.call(headers, function (th) {
      var button = th.querySelector("button");
      if (!button) { return; }
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(headers, function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var column = th.cellIndex;
        var numeric = th.getAttribute("data-sort") === "number";
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[column].getAttribute("data-value") || "";
          var y = b.cells[column].getAttribute("data-value") || "";
          var result;
          if (numeric) {
            var nx = number(x), ny = number(y);
            if (nx === null && ny === null) { result = 0; }
            else if (nx === null) { return 1; }   /* no value: always last */
            else if (ny === null) { return -1; }
            else { result = nx - ny; }
          } else {
            result = x.localeCompare(y, "nl");
          }
          return ascending ? result : -result;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });

  /* --- conversations: filter, order, pages --- */
  var list = document.getElementById("kf-list");
  if (!list) { return; }
  var items = Array.prototype.slice.call(list.querySelectorAll("details.kf-conv"));
  var controls = document.getElementById("kf-controls");
  var search = document.getElementById("kf-search");
  var agent = document.getElementById("kf-agent");
  var mindset = document.getElementById("kf-mindset");
  var order = document.getElementById("kf-order");
  var size = document.getElementById("kf-size");
  var statuses = Array.prototype.slice.call(document.querySelectorAll(".kf-status"));
  var pagers = Array.prototype.slice.call(document.querySelectorAll(".kf-pager"));
  var page = 0;
  var matching = items;

  function pageSize() { return parseInt(size.value, 10) || 25; }

  function sorted(subset) {
    var copy = subset.slice();
    if (order.value === "score-asc" || order.value === "score-desc") {
      var sign = order.value === "score-asc" ? 1 : -1;
      copy.sort(function (a, b) {
        var x = number(a.getAttribute("data-score")), y = number(b.getAttribute("data-score"));
        if (x === null) { return 1; }
        if (y === null) { return -1; }
        return sign * (x - y) || number(a.getAttribute("data-i")) - number(b.getAttribute("data-i"));
      });
    }
    return copy;
  }

  function filter() {
    var text = search.value.trim().toLowerCase();
    var who = agent.value;
    var kind = mindset.value;
    matching = sorted(items.filter(function (item) {
      if (who && item.getAttribute("data-agent") !== who) { return false; }
      if (kind && item.getAttribute("data-mindset") !== kind) { return false; }
      return !text || (item.getAttribute("data-search") || "").indexOf(text) !== -1;
    }));
    matching.forEach(function (item) { list.appendChild(item); });
  }

  function show() {
    var per = pageSize();
    var pages = Math.max(1, Math.ceil(matching.length / per));
    page = Math.min(Math.max(page, 0), pages - 1);
    var first = page * per;
    var last = Math.min(first + per, matching.length);
    var visible = new Set(matching.slice(first, last));
    items.forEach(function (item) { item.hidden = !visible.has(item); });
    var text;
    if (matching.length === 0) {
      text = "Geen gesprekken gevonden (" + items.length + " in totaal)";
    } else {
      text = "Gesprekken " + (first + 1) + "–" + last + " van " + matching.length;
      if (matching.length !== items.length) { text += " gevonden (" + items.length + " in totaal)"; }
      text += " · pagina " + (page + 1) + " van " + pages;
    }
    statuses.forEach(function (status) { status.textContent = text; });
    pagers.forEach(function (pager) {
      pager.querySelector(".kf-prev").disabled = page === 0;
      pager.querySelector(".kf-next").disabled = page >= pages - 1;
    });
  }

  function refresh() { page = 0; filter(); show(); }

  function reveal(target) {
    var holder = target && target.closest ? target.closest("details.kf-conv") : null;
    if (!holder) { return; }
    var index = matching.indexOf(holder);
    if (index === -1) {
      search.value = ""; agent.value = ""; mindset.value = "";
      filter();
      index = matching.indexOf(holder);
    }
    page = Math.floor(index / pageSize());
    show();
    holder.open = true;
    target.scrollIntoView({ block: "start" });
  }

  function revealHash() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    if (id) { reveal(document.getElementById(id)); }
  }

  controls.hidden = false;
  pagers.forEach(function (pager) {
    pager.hidden = false;
    pager.querySelector(".kf-prev").addEventListener("click", function () { page -= 1; show(); });
    pager.querySelector(".kf-next").addEventListener("click", function () { page += 1; show(); });
    pager.querySelector(".kf-open-all").addEventListener("click", function () {
      items.forEach(function (item) { if (!item.hidden) { item.open = true; } });
    });
    pager.querySelector(".kf-close-all").addEventListener("click", function () {
      items.forEach(function (item) { item.open = false; });
    });
  });
  search.addEventListener("input", refresh);
  [agent, mindset, order, size].forEach(function (element) {
    element.addEventListener("change", refresh);
  });
  Array.prototype.forEach.call(document.querySelectorAll("button[data-agent]"), function (button) {
    button.addEventListener("click", function () {
      agent.value = button.getAttribute("data-agent");
      search.value = "";
      refresh();
      document.getElementById("gesprekken").scrollIntoView({ block: "start" });
    });
  });
  window.addEventListener("hashchange", revealHash);
  filter();
  show();
  revealHash();
})();
