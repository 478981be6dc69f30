// batchctl dashboard: live updates over server-sent events; the HTML itself comes rendered from the server.
"use strict";
(function () {
  const STATUS = { s: "SUBMITTED", p: "PENDING", b: "RUNNABLE", t: "STARTING", r: "RUNNING", d: "SUCCEEDED", f: "FAILED", u: "unknown" };

  function stream(url, handlers) {
    const source = new EventSource(url);
    Object.keys(handlers).forEach(function (name) {
      source.addEventListener(name, function (event) { handlers[name](event.data, source); });
    });
    source.addEventListener("end", function () { source.close(); });
    return source;
  }

  function liveJobs() {
    const body = document.getElementById("jobs-body");
    if (!body || !body.dataset.events) return;
    const state = document.getElementById("live-state");
    const source = stream(body.dataset.events, {
      rows: function (html) { body.innerHTML = html; document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1); },
      problem: function (text) { if (state) state.textContent = "live: " + text; }
    });
    source.addEventListener("open", function () { if (state) state.classList.add("on"); });
    source.addEventListener("error", function () { if (state) state.classList.remove("on"); });
  }

  function paintGrid(grid, letters) {
    const cells = grid.children;
    for (let i = 0; i < letters.length && i < cells.length; i++) {
      if (cells[i].className !== letters[i]) cells[i].className = letters[i];
    }
  }

  function liveJob() {
    const live = document.getElementById("job-live");
    if (!live || !live.dataset.events) return;
    const header = document.getElementById("job-header");
    const grid = document.getElementById("array-grid");
    stream(live.dataset.events, {
      header: function (html) { header.innerHTML = html; },
      grid: function (letters) { if (grid) paintGrid(grid, letters); },
      problem: function (text) { header.dataset.problem = text; }
    });
  }

  function gridClicks() {
    const grid = document.getElementById("array-grid");
    if (!grid) return;
    const info = document.getElementById("cell-info");
    const indexOf = function (cell) { return Array.prototype.indexOf.call(grid.children, cell); };
    grid.addEventListener("click", function (event) {
      if (event.target.tagName !== "I") return;
      window.location.href = document.body.dataset.base + "/jobs/" + grid.dataset.job + ":" + indexOf(event.target);
    });
    grid.addEventListener("mouseover", function (event) {
      if (event.target.tagName !== "I" || !info) return;
      info.textContent = "child " + indexOf(event.target) + ": " + (STATUS[event.target.className] || "unknown");
    });
  }

  function liveLog() {
    const log = document.getElementById("log");
    if (!log || !log.dataset.events) return;
    const state = document.getElementById("log-state");
    const append = function (text, kind) {
      const line = document.createElement("span");
      if (kind) line.className = kind;
      line.textContent = text + "\n";
      const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
      log.appendChild(line);
      if (atBottom) log.scrollTop = log.scrollHeight;
    };
    const source = stream(log.dataset.events, {
      line: function (text) { append(text); },
      notice: function (text) { append(text, "notice"); },
      problem: function (text) { append(text, "notice"); },
      end: function () { if (state) state.textContent = "end of log"; log.dataset.done = "1"; }
    });
    source.addEventListener("open", function () { if (state) state.textContent = "following…"; });
    // A log is read once from its start: after a lost connection, reloading resumes it (a reconnect would repeat it).
    source.addEventListener("error", function () {
      if (log.dataset.done) return;
      source.close();
      if (state) state.textContent = "disconnected: reload the page to follow again";
    });
  }

  function start() {
    liveJobs();
    liveJob();
    gridClicks();
    liveLog();
    document.body.dataset.ready = "1";
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
