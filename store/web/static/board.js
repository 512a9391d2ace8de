// The live board refreshes itself every 5 s from the API (the session's cookie); the
// monitoring sessions follow the store's live channel (/api/v1/live, the same cookie): each
// change of a session the supervisor opened arrives as "monitor.session".
(function () {
  "use strict";
  const words = JSON.parse(document.getElementById("board-words").textContent);
  const body = document.querySelector("#board-table tbody");
  const updated = document.getElementById("board-updated");

  function since(nowUs, sinceUs) {
    if (!sinceUs) return "";
    const s = Math.max(0, Math.round((nowUs - sinceUs) / 1e6));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }
  function cell(tr, text) {
    const td = document.createElement("td");
    if (text instanceof Node) td.appendChild(text);
    else td.textContent = text;
    tr.appendChild(td);
  }
  function render(board) {
    const rows = [];
    for (const a of board.agents) {
      const tr = document.createElement("tr");
      tr.dataset.agent = a.agent;
      cell(tr, a.agent + (a.extension ? " (" + a.extension + ")" : ""));
      cell(tr, (words.states[a.state] || a.state) + (a.reason ? ": " + a.reason : ""));
      cell(tr, since(board.now_us, a.since_us));
      if (a.call_id) {
        const link = document.createElement("a");
        link.href = "/calls/" + encodeURIComponent(a.call_id);
        link.textContent = a.call_id.slice(0, 12);
        cell(tr, link);
      } else cell(tr, "");
      cell(tr, a.recording ? "●" : "");
      cell(tr, String(a.upload_backlog || 0));
      cell(tr, a.occupancy_10min_pct == null ? "" : String(a.occupancy_10min_pct));
      if (words.watch) {
        const watch = document.createElement("a");
        watch.className = "watch-screen";
        watch.href = "/screen/" + encodeURIComponent(a.agent);
        watch.target = "_blank";
        watch.textContent = words.watch;
        cell(tr, watch);
      }
      rows.push(tr);
    }
    body.replaceChildren(...rows);
    const when = new Date(board.now_us / 1000);
    try {
      updated.textContent = when.toLocaleString(document.documentElement.lang, { timeZone: words.zone });
    } catch (e) {
      updated.textContent = when.toISOString();
    }
  }
  async function refresh() {
    try {
      const r = await fetch("/api/v1/agents/board", { credentials: "same-origin" });
      if (r.ok) render(await r.json());
      return r.status;
    } catch (e) {
      return String(e); // the next round tries again
    }
  }
  const sessions = document.querySelector("#monitor-sessions tbody");
  function follow(session) {
    const row = Array.from(sessions.rows).find((tr) => tr.dataset.session === session.id);
    const live = session.state === "open" || session.state === "active";
    if (!row) {
      if (live) location.reload(); // opened elsewhere: the page draws it with its forms
      return;
    }
    row.querySelector(".mode").textContent = words.modes[session.mode] || session.mode;
    let state = words.sessions[session.state] || session.state;
    if (!live && session.reason) state += ": " + session.reason;
    row.querySelector(".state").textContent = state;
    row.dataset.state = session.state;
    if (!live) row.querySelectorAll("button, select").forEach((b) => (b.disabled = true));
  }
  let channel = null;
  if (sessions && window.EventSource) {
    channel = new EventSource("/api/v1/live");
    channel.onmessage = (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch (e) {
        return;
      }
      if (event.type === "monitor.session" && event.session) follow(event.session);
    };
  }
  setInterval(refresh, 5000);
  window.agentdeskBoard = { refresh, channel };
})();
