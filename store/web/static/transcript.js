// The call's transcript beside the player: each side's phrases in time order with their
// times; a click seeks the player there; the phrase being played is highlighted and kept in
// view; masked words (card numbers, what was said while paused) show as masked, with why.
// A phrase-search hit (?at=…&side=…&phrase=…) opens the call at the hit and marks it.
// Read through the API's audited transcript route with the session.
(function () {
  "use strict";

  const data = JSON.parse(document.getElementById("player-data").textContent);
  const W = data.words;
  const focus = data.focus || null;
  const player = window.agentdeskPlayer;
  const list = document.getElementById("transcript-segments");
  const state = document.getElementById("transcript-state");
  // for the console's browser tests: what is shown and which phrase is current
  const view = { ready: false, segments: 0, current: null, hit: null, status: null };
  window.agentdeskTranscript = view;
  let items = [];
  let current = null;

  function tokens(text) {
    return (text || "").toLowerCase().replace(/ё/g, "е").match(/[\p{L}\p{N}_]+/gu) || [];
  }
  function clockText(utc) {
    const s = Math.max(0, Math.floor((utc - player.timeline.start) / 1e6));
    const m = Math.floor(s / 60);
    return m + ":" + String(s % 60).padStart(2, "0");
  }

  function masked(reason) {
    const el = document.createElement("span");
    el.className = "masked";
    el.dataset.reason = reason;
    el.textContent = W["masked_" + reason] || reason;
    return el;
  }
  function wordsInto(el, seg, marked) {
    if (!seg.words || seg.words.length === 0) {
      el.textContent = seg.text;
      return;
    }
    let last = null;
    for (const w of seg.words) {
      if (w.masked) {
        if (last && last.dataset.reason === w.masked) continue; // one box per masked run
        el.append(" ");
        last = masked(w.masked);
        el.appendChild(last);
        continue;
      }
      last = null;
      const text = w.text;
      if (marked.size && tokens(text).some((t) => marked.has(t))) {
        const lead = text.match(/^\s*/)[0];
        const mark = document.createElement("mark");
        mark.textContent = text.slice(lead.length);
        el.append(lead, mark);
      } else {
        el.append(text);
      }
    }
  }

  function isHit(seg) {
    if (!focus) return false;
    if (focus.side && seg.side !== focus.side) return false;
    return seg.start_us <= focus.at_us && focus.at_us <= seg.end_us;
  }

  function render(segments) {
    const phrase = new Set(focus ? tokens(focus.phrase) : []);
    for (const seg of segments) {
      const li = document.createElement("li");
      li.className = "seg seg-" + seg.side;
      li.dataset.startUs = String(seg.start_us);
      li.dataset.endUs = String(seg.end_us);
      li.dataset.side = seg.side;
      li.tabIndex = 0;
      const at = document.createElement("span");
      at.className = "seg-time";
      at.textContent = clockText(seg.start_us);
      const side = document.createElement("span");
      side.className = "seg-side";
      side.textContent = W[seg.side] || seg.side;
      const text = document.createElement("span");
      text.className = "seg-text";
      const hit = isHit(seg) && !view.hit;
      wordsInto(text, seg, hit ? phrase : new Set());
      li.append(at, " ", side, " ", text);
      const go = () => player.seek(seg.start_us);
      li.addEventListener("click", go);
      li.addEventListener("keydown", (ev) => { if (ev.key === "Enter") go(); });
      if (hit) {
        li.classList.add("hit");
        view.hit = { start_us: seg.start_us, side: seg.side, marked: text.querySelectorAll("mark").length };
      }
      list.appendChild(li);
      items.push({ li, start: seg.start_us, end: seg.end_us, side: seg.side });
    }
    view.segments = items.length;
    view.masked = list.querySelectorAll(".masked").length;
  }

  function keepInView(li) {
    const top = li.offsetTop - list.offsetTop;
    if (top < list.scrollTop || top + li.offsetHeight > list.scrollTop + list.clientHeight) {
      list.scrollTop = Math.max(0, top - list.clientHeight / 3);
    }
  }
  function follow() {
    const at = player.position();
    let found = null; // the latest phrase begun and not yet over
    for (const item of items) {
      if (item.start > at) break;
      if (at < item.end) found = item;
    }
    if (found !== current) {
      if (current) current.li.classList.remove("current");
      current = found;
      if (current) {
        current.li.classList.add("current");
        keepInView(current.li);
      }
      view.current = current ? { start_us: current.start, side: current.side } : null;
    }
  }

  // the automatic checks with their evidence (click to seek), and the scorecard's questions
  // that name a check answered by it: QA confirms by saving, or changes the score
  function showChecks(results) {
    const box = document.getElementById("transcript-checks");
    document.getElementById("checks-title").hidden = results.length === 0;
    const byName = {};
    for (const c of results) {
      byName[c.name] = c.passed;
      const li = document.createElement("li");
      li.className = "check " + (c.passed ? "check-passed" : "check-failed");
      li.dataset.rule = c.name;
      li.append((c.passed ? "✓ " : "✗ ") + c.name + ": " + (c.passed ? W.check_passed : W.check_failed));
      for (const e of c.evidence || []) {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "evidence";
        b.dataset.startUs = String(e.start_us);
        b.textContent = clockText(e.start_us) + " " + (W[e.side] || e.side);
        b.title = e.text;
        b.addEventListener("click", () => player.seek(e.start_us));
        li.append(" ", b);
      }
      box.appendChild(li);
    }
    for (const input of document.querySelectorAll("input[data-rule]")) {
      if (!(input.dataset.rule in byName)) continue;
      const passed = byName[input.dataset.rule];
      if (input.value === "") input.value = passed ? input.max : "0";
      const note = input.parentElement.querySelector(".auto-answer");
      if (note) note.textContent = W.automatic_answer.replace("{a}", passed ? W.yes : W.no);
    }
    view.checks = results.length;
  }

  async function load() {
    let answer = null;
    try {
      const r = await fetch("/api/v1/calls/" + encodeURIComponent(data.call.id) + "/transcript",
        { credentials: "same-origin" });
      if (r.status === 404) view.status = "none";
      else if (r.ok) answer = await r.json();
      else view.status = "failed";
    } catch (e) {
      view.status = "failed";
    }
    if (answer) view.status = answer.job.status;
    if (answer && answer.job.status === "done") {
      render(answer.segments || []);
      showChecks(answer.checks || []);
      state.textContent = "";
      state.hidden = true;
      if (view.hit) {
        const li = items.find((i) => i.start === view.hit.start_us && i.side === view.hit.side).li;
        keepInView(li);
      }
      setInterval(follow, 100);
      follow();
    } else {
      state.textContent = W["transcript_" + view.status] || W.transcript_failed;
    }
    view.ready = true;
  }

  if (focus) player.seek(focus.at_us);
  load();
})();
