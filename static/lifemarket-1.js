// lifemarket pages: the large-text mode and the portal board's live updates. Served from this
// origin (the pages' CSP allows scripts from 'self' only); no inline script anywhere.
(function () {
  "use strict";
  var root = document.documentElement;
  function applyLarge(on) {
    root.classList.toggle("large", on);
    var button = document.getElementById("large-text");
    if (button) {
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.textContent = on ? "标准字号" : "大字模式";
    }
  }
  var stored = false;
  try { stored = window.localStorage.getItem("lm-large") === "1"; } catch (e) { stored = false; }
  applyLarge(stored);

  document.addEventListener("DOMContentLoaded", function () {
    applyLarge(root.classList.contains("large"));
    var button = document.getElementById("large-text");
    if (button) {
      button.addEventListener("click", function () {
        var on = !root.classList.contains("large");
        applyLarge(on);
        try { window.localStorage.setItem("lm-large", on ? "1" : "0"); } catch (e) { /* private mode */ }
      });
    }

    // The board: reload its fragment whenever the merchant's event stream says something changed.
    var board = document.getElementById("board");
    if (board && board.dataset.events && window.EventSource) {
      var status = document.getElementById("live-status");
      var source = new EventSource(board.dataset.events);
      var refresh = function () {
        window.htmx.ajax("GET", board.dataset.src, { target: "#board", swap: "innerHTML" });
      };
      ["order", "booking", "review", "after_sales", "payment"].forEach(function (kind) {
        source.addEventListener(kind, refresh);
      });
      source.onopen = function () {
        if (status) { status.textContent = "实时更新：已连接"; status.dataset.state = "open"; }
      };
      source.onerror = function () {
        if (status) { status.textContent = "实时更新：重新连接中…"; status.dataset.state = "retrying"; }
      };
    }
  });
})();
