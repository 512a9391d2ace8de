// The call page's player: the call's stereo audio (operator left, customer right) drives the
// clock and the screen segments follow it, both placed by their UTC start times (the store's
// media links). Media are read through the store's audited media routes with the session.
// window.agentdeskPlayer exposes the clock and the sync measurements (screen frame time
// against the audio heard when it is shown) for the console's browser tests.
(function () {
  "use strict";

  const data = JSON.parse(document.getElementById("player-data").textContent);
  const W = data.words;
  const call = data.call;
  const base = data.media_base;
  const audioEl = document.getElementById("audio");
  // two video elements: the one shown, and the next segment loading behind it
  let video = document.getElementById("screen");
  let standby = document.getElementById("screen-next");
  const playBtn = document.getElementById("play");
  const posText = document.getElementById("position");
  const lenText = document.getElementById("length");
  const speedSel = document.getElementById("speed");
  const balance = document.getElementById("balance");
  const timelineEl = document.getElementById("timeline");
  const bandsEl = document.getElementById("bands");
  const ticksEl = document.getElementById("ticks");
  const cursorEl = document.getElementById("cursor");
  const noteEl = document.getElementById("player-note");
  const noScreen = document.getElementById("no-screen");

  // ---- what the call has, and where it lies in UTC (as the desktop's timeline) ----
  const media = (call.media || []).filter((m) => !m.deleted);
  const screens = media
    .filter((m) => m.kind === "screen" && m.content_type === "video/mp4" && m.start_us != null)
    .sort((a, b) => a.start_us - b.start_us);
  const audio = media
    .filter((m) => m.kind === "audio" && /^audio\/(ogg|wav)$/.test(m.content_type) && m.start_us != null)
    .sort((a, b) => a.start_us - b.start_us)[0] || null;
  const notes = media.filter((m) => m.kind === "data" && m.content_type === "application/json");

  function callMarks() {
    const out = [{ at: call.started_us, kind: "ring", label: "" }];
    if (call.answered_us) out.push({ at: call.answered_us, kind: "answer", label: "" });
    for (const h of call.holds || []) {
      out.push({ at: h.start_us, kind: "hold", label: "" });
      if (h.end_us) out.push({ at: h.end_us, kind: "unhold", label: "" });
    }
    for (const t of call.transfers || []) out.push({ at: t.at_us, kind: "transfer", label: t.to || "" });
    for (const e of call.events || []) out.push({ at: e.at_us, kind: e.kind, label: e.detail || "" });
    for (const [name, v] of Object.entries(call.card || {})) {
      out.push({ at: v.changed_us, kind: "card", label: name + ": " + v.value });
    }
    if (call.ended_us) out.push({ at: call.ended_us, kind: "hangup", label: call.ended_by || "" });
    return out.sort((a, b) => a.at - b.at);
  }
  const marks = callMarks();
  const edges = [call.started_us];
  for (const v of [call.answered_us, call.ended_us]) if (v) edges.push(v);
  for (const p of screens.concat(audio ? [audio] : [])) {
    edges.push(p.start_us);
    if (p.end_us) edges.push(p.end_us);
  }
  for (const m of marks) edges.push(m.at);
  const tl = { start: Math.min(...edges), end: Math.max(...edges) };
  let audioEnd = audio ? (audio.end_us || Infinity) : -Infinity;

  // ---- the clock: the audio element while it plays, else the wall clock ----
  const clock = { playing: false, rate: 1, mode: "wall", baseUtc: tl.start, baseWall: 0 };
  let graph = null;
  let pendingSeek = null; // the last seek until its frame is shown (for stats.seeks)

  function latencyUs() {
    if (!graph) return 0;
    const ctx = graph.ctx;
    return ((ctx.baseLatency || 0) + (ctx.outputLatency || 0)) * 1e6 * clock.rate;
  }
  function position() {
    if (clock.mode === "audio") return audio.start_us + audioEl.currentTime * 1e6 - latencyUs();
    if (!clock.playing) return clock.baseUtc;
    return clock.baseUtc + (performance.now() - clock.baseWall) * 1000 * clock.rate;
  }
  function inAudio(utc) {
    return audio && utc >= audio.start_us && utc < audioEnd;
  }
  function toWall(utc) {
    clock.mode = "wall";
    clock.baseUtc = utc;
    clock.baseWall = performance.now();
  }
  function toAudio(utc) {
    audioEl.currentTime = Math.max(0, (utc - audio.start_us) / 1e6);
    clock.mode = "audio";
    const started = audioEl.play();
    if (started) started.catch((e) => { noteEl.textContent = String(e); });
  }

  function ensureGraph() {
    if (graph || !audio) return;
    const AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) return;
    const ctx = new AC();
    const src = ctx.createMediaElementSource(audioEl);
    const split = ctx.createChannelSplitter(2);
    const merge = ctx.createChannelMerger(2);
    const left = ctx.createGain();
    const right = ctx.createGain();
    src.connect(split);
    split.connect(left, 0);
    split.connect(right, 1);
    left.connect(merge, 0, 0);
    right.connect(merge, 0, 1);
    merge.connect(ctx.destination);
    graph = { ctx, left, right };
    applyBalance();
  }
  function applyBalance() {
    const b = parseFloat(balance.value) || 0; // -1: operator only … +1: customer only
    if (!graph) return;
    graph.left.gain.value = Math.min(1, 1 - b);
    graph.right.gain.value = Math.min(1, 1 + b);
  }

  function play() {
    ensureGraph();
    if (graph && graph.ctx.state === "suspended") graph.ctx.resume();
    let at = position();
    if (at >= tl.end) at = tl.start;
    clock.playing = true;
    if (inAudio(at)) toAudio(at);
    else toWall(at);
    playBtn.textContent = W.pause;
  }
  function pause() {
    const at = position();
    clock.playing = false;
    audioEl.pause();
    toWall(at);
    video.pause();
    standby.pause();
    playBtn.textContent = W.play;
  }
  function seek(utc) {
    utc = Math.max(tl.start, Math.min(tl.end, utc));
    if (clock.playing && inAudio(utc)) {
      toAudio(utc);
    } else {
      if (audio && inAudio(utc)) audioEl.currentTime = (utc - audio.start_us) / 1e6;
      if (clock.playing) audioEl.pause();
      toWall(utc);
    }
    pendingSeek = { utc, at: performance.now() };
    syncScreen(utc, true);
    draw(utc);
  }
  function setSpeed(rate) {
    const at = position();
    clock.rate = rate;
    audioEl.playbackRate = rate;
    if (clock.mode === "wall") toWall(at);
  }

  // ---- the screen follows the clock ----
  let loaded = null;
  let lastSeekMs = 60;
  let seekStarted = 0;
  function screenAt(utc) {
    let found = null;
    for (const s of screens) if (s.start_us <= utc && (s.end_us == null || utc <= s.end_us)) found = s;
    return found;
  }
  for (const el of [video, standby]) {
    el.addEventListener("seeked", () => {
      if (el !== video) return;
      if (seekStarted) lastSeekMs = Math.min(800, performance.now() - seekStarted);
      seekStarted = 0;
    });
  }
  function preloadNext(seg) {
    const next = screens[screens.indexOf(seg) + 1];
    if (!next || standby._seg === next) return;
    standby._seg = next;
    standby.src = base + next.sha256;
    standby.currentTime = 0;
  }
  function videoSeek(seconds) {
    seekStarted = performance.now();
    video.currentTime = Math.max(0, seconds);
  }
  function syncScreen(utc, hard) {
    const seg = screenAt(utc);
    noScreen.hidden = !!seg;
    if (!seg) {
      video.style.visibility = "hidden";
      if (!video.paused) video.pause();
      return;
    }
    const target = (utc - seg.start_us) / 1e6;
    if (seg !== loaded) {
      loaded = seg;
      if (standby._seg === seg && standby.readyState >= 2) {
        const shown = video; // the next segment is loaded already: show it in place
        video = standby;
        standby = shown;
        shown.pause();
        shown.style.visibility = "hidden";
        stats.swaps += 1;
      } else {
        video._seg = seg;
        video.src = base + seg.sha256;
        videoSeek(target);
        return;
      }
    }
    video.style.visibility = "visible";
    standby.style.visibility = "hidden";
    if (video.readyState < 1) return;
    if (video.readyState >= 2) preloadNext(seg);
    if (!clock.playing) {
      if (!video.paused) video.pause();
      if ((hard || Math.abs(video.currentTime - target) > 0.001) && !video.seeking) videoSeek(target);
      return;
    }
    if (video.seeking) return;
    const drift = video.currentTime - target; // s; > 0: the screen is ahead of the sound
    if (hard || Math.abs(drift) > 0.25) {
      videoSeek(target + (lastSeekMs / 1000) * clock.rate);
      video.playbackRate = clock.rate;
    } else {
      const nudge = Math.max(0.85, Math.min(1.15, 1 - drift / 0.4));
      video.playbackRate = clock.rate * nudge;
    }
    if (video.paused) video.play().catch(() => {});
  }

  // ---- the timeline: bands (hold, masked, paused with reasons), marks, comments ----
  function pct(utc) {
    return (100 * (utc - tl.start)) / Math.max(1, tl.end - tl.start);
  }
  function reasonWords(reason) {
    return reason.split(", ").filter(Boolean).map((r) => W["reason_" + r] || r).join(", ");
  }
  function addBand(start, end, kind, reason) {
    const el = document.createElement("div");
    el.className = "band band-" + kind;
    el.style.left = pct(start) + "%";
    el.style.width = Math.max(0.3, pct(end) - pct(start)) + "%";
    el.title = W["band_" + kind] + (reason ? ": " + reasonWords(reason) : "");
    el.dataset.kind = kind;
    el.dataset.reason = reason || "";
    bandsEl.appendChild(el);
  }
  function addTick(utc, cls, title) {
    const el = document.createElement("button");
    el.type = "button";
    el.className = "tick " + cls;
    el.style.left = pct(utc) + "%";
    el.title = title;
    el.addEventListener("click", (ev) => { ev.stopPropagation(); seek(utc); });
    ticksEl.appendChild(el);
  }
  function pauseBands() {
    const events = (call.events || []).slice().sort((a, b) => a.at_us - b.at_us);
    const end = call.ended_us || Math.max(0, ...events.map((e) => e.at_us));
    const open = {};
    const out = [];
    for (const e of events) {
      const reason = e.detail || "manual";
      if (e.kind === "pause" && !(reason in open)) open[reason] = e.at_us;
      else if (e.kind === "resume" && reason in open) {
        out.push([open[reason], e.at_us, reason]);
        delete open[reason];
      }
    }
    for (const [reason, start] of Object.entries(open)) out.push([start, Math.max(start, end), reason]);
    return out;
  }
  async function drawTimeline() {
    const masked = [];
    for (const n of notes) {
      try {
        const r = await fetch(base + n.sha256, { credentials: "same-origin" });
        if (!r.ok) continue;
        const m = await r.json();
        for (const p of m.masked_periods || []) {
          masked.push([p.start_us, p.end_us == null ? m.utc_end_us : p.end_us, (p.reasons || []).join(", ")]);
        }
      } catch (e) { /* a manifest that cannot be read leaves its bands out */ }
    }
    const end = call.ended_us;
    for (const h of call.holds || []) {
      const stop = h.end_us || end;
      if (stop) addBand(h.start_us, stop, "hold", "");
    }
    for (const [s, e, r] of masked) addBand(s, e, "masked", r);
    for (const [s, e, r] of pauseBands()) {
      const shown = masked.some(([ms, me, mr]) => ms < e && s < me && mr.split(", ").includes(r));
      if (!shown) addBand(s, e, "paused", r);
    }
    for (const m of marks) addTick(m.at, "tick-" + m.kind, (W["mark_" + m.kind] || m.kind) + (m.label ? ": " + m.label : ""));
    for (const b of document.querySelectorAll(".seek-ms")) {
      const ms = parseInt(b.dataset.positionMs, 10);
      addTick(tl.start + ms * 1000, "tick-comment", b.parentElement.textContent.trim());
    }
    stats.bands = Array.from(bandsEl.children).map((b) => ({ kind: b.dataset.kind, reason: b.dataset.reason }));
    stats.timelineReady = true;
  }

  function fmt(ms) {
    const s = Math.max(0, ms) / 1000;
    const m = Math.floor(s / 60);
    const rest = s - m * 60;
    return m + ":" + (rest < 10 ? "0" : "") + rest.toFixed(1);
  }
  function draw(utc) {
    posText.textContent = fmt((utc - tl.start) / 1000);
    cursorEl.style.left = pct(utc) + "%";
    timelineEl.setAttribute("aria-valuenow", String(Math.round((utc - tl.start) / 1000)));
  }

  // ---- measurement: each screen frame shown against the audio heard at that moment ----
  // first*Ms: since the page's navigation started; seeks: ms from a seek to its frame shown
  const stats = {
    samples: [], markers: [], probe: false, bands: [], timelineReady: false, seeks: [],
    firstFrameMs: null, audioReadyMs: null, firstSoundMs: null, swaps: 0,
  };
  for (const el of [video, standby]) {
    el.addEventListener("loadeddata", () => {
      if (stats.firstFrameMs === null && el === video) stats.firstFrameMs = performance.now();
    });
  }
  audioEl.addEventListener("canplay", () => {
    if (stats.audioReadyMs === null) stats.audioReadyMs = performance.now();
  });
  audioEl.addEventListener("playing", () => {
    if (stats.firstSoundMs === null) stats.firstSoundMs = performance.now();
  });
  const canvas = document.createElement("canvas");
  canvas.width = 8;
  canvas.height = 8;
  const c2d = canvas.getContext("2d", { willReadFrequently: true });
  let wasRed = false;
  function onFrame(now, meta) {
    if (pendingSeek && loaded) {
      const shown = loaded.start_us + meta.mediaTime * 1e6;
      if (Math.abs(shown - pendingSeek.utc) < 1e6) {
        stats.seeks.push(now - pendingSeek.at);
        pendingSeek = null;
      }
    }
    if (loaded && clock.playing && clock.mode === "audio" && !video.seeking) {
      const frameUtc = loaded.start_us + meta.mediaTime * 1e6;
      const shownUtc = position() + (meta.expectedDisplayTime - now) * 1000 * clock.rate;
      stats.samples.push({ frameUtc, audioUtc: shownUtc, offsetMs: (frameUtc - shownUtc) / 1000 });
      if (stats.samples.length > 5000) stats.samples.shift();
      if (stats.probe) {
        c2d.drawImage(video, 0, 0, 8, 8);
        const [r, g, b] = c2d.getImageData(4, 4, 1, 1).data;
        const red = r > 160 && g < 90 && b < 90;
        if (red && !wasRed) stats.markers.push({ frameUtc, audioUtc: shownUtc });
        wasRed = red;
      }
    }
  }
  for (const el of [video, standby]) {
    if (!el.requestVideoFrameCallback) continue;
    const watch = (now, meta) => {
      if (el === video) onFrame(now, meta); // frames of the standby element are not shown
      el.requestVideoFrameCallback(watch);
    };
    el.requestVideoFrameCallback(watch);
  }

  // ---- the loop ----
  function tick() {
    let at = position();
    if (clock.playing) {
      if (clock.mode === "wall" && inAudio(at)) {
        toAudio(at);
      } else if (clock.mode === "audio" && (audioEl.ended || at >= audioEnd)) {
        toWall(Math.min(audioEnd, at));
        at = position();
      }
      if (at >= tl.end) {
        pause();
        toWall(tl.end);
        at = tl.end;
      }
    }
    syncScreen(at, false);
    draw(at);
    requestAnimationFrame(tick);
  }

  // ---- controls ----
  playBtn.addEventListener("click", () => (clock.playing ? pause() : play()));
  speedSel.addEventListener("change", () => setSpeed(parseFloat(speedSel.value)));
  balance.addEventListener("input", applyBalance);
  timelineEl.addEventListener("click", (ev) => {
    const box = timelineEl.getBoundingClientRect();
    seek(tl.start + ((ev.clientX - box.left) / box.width) * (tl.end - tl.start));
  });
  timelineEl.addEventListener("keydown", (ev) => {
    const step = ev.shiftKey ? 10e6 : 2e6;
    if (ev.key === "ArrowRight") seek(position() + step);
    else if (ev.key === "ArrowLeft") seek(position() - step);
    else if (ev.key === " ") { ev.preventDefault(); clock.playing ? pause() : play(); }
  });
  for (const b of document.querySelectorAll("button.seek")) {
    b.addEventListener("click", () => seek(parseInt(b.dataset.atUs, 10)));
  }
  for (const b of document.querySelectorAll("button.seek-ms")) {
    b.addEventListener("click", () => seek(tl.start + parseInt(b.dataset.positionMs, 10) * 1000));
  }
  const addComment = document.getElementById("add-comment");
  if (addComment) {
    addComment.addEventListener("click", () => {
      const ms = Math.round((position() - tl.start) / 1000);
      const li = document.createElement("li");
      const at = document.createElement("button");
      at.type = "button";
      at.className = "seek-ms";
      at.textContent = fmt(ms);
      at.addEventListener("click", () => seek(tl.start + ms * 1000));
      const hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = "comment_ms";
      hidden.value = String(ms);
      const text = document.createElement("input");
      text.name = "comment_text";
      text.className = "comment-text";
      text.placeholder = W.text;
      text.required = true;
      li.append(at, " ", hidden, text);
      document.getElementById("new-comments").appendChild(li);
      text.focus();
    });
  }

  // an export asked for from this page: its progress, then the link to the file
  const exportJob = document.getElementById("export-job");
  if (exportJob) {
    const state = document.getElementById("export-state");
    const bar = document.getElementById("export-progress");
    const link = document.getElementById("export-link");
    const poll = async () => {
      let job = null;
      try {
        const r = await fetch("/exports/" + exportJob.dataset.jobId + ".json", { credentials: "same-origin" });
        if (r.ok) job = await r.json();
      } catch (e) { /* try again */ }
      if (job) {
        bar.value = job.progress;
        stats.export = job;
        if (job.status === "done") {
          state.textContent = "";
          bar.hidden = true;
          link.href = base + job.sha256;
          link.hidden = false;
          return;
        }
        if (job.status === "failed") {
          state.textContent = W.export_failed + ": " + (job.error || "");
          return;
        }
        state.textContent = job.status === "running" ? W.export_running : W.export_queued;
      }
      setTimeout(poll, 500);
    };
    poll();
  }

  audioEl.preservesPitch = true;
  if (audio) {
    audioEl.src = base + audio.sha256;
    audioEl.addEventListener("loadedmetadata", () => {
      if (!audio.end_us && isFinite(audioEl.duration)) audioEnd = audio.start_us + audioEl.duration * 1e6;
    });
  } else {
    noteEl.textContent = W.no_audio;
  }
  lenText.textContent = fmt((tl.end - tl.start) / 1000).replace(/\.\d$/, "");
  timelineEl.setAttribute("aria-valuemin", "0");
  timelineEl.setAttribute("aria-valuemax", String(Math.round((tl.end - tl.start) / 1000)));
  playBtn.disabled = false;
  drawTimeline();
  syncScreen(tl.start, true);
  draw(tl.start);
  requestAnimationFrame(tick);

  window.agentdeskPlayer = {
    play, pause, seek, setSpeed, position, stats, timeline: tl,
    get mode() { return clock.mode; },
    get playing() { return clock.playing; },
    get screenTime() { return loaded ? loaded.start_us + video.currentTime * 1e6 : null; },
    get graph() { return graph ? { left: graph.left.gain.value, right: graph.right.gain.value, state: graph.ctx.state } : null; },
    get preservesPitch() { return audioEl.preservesPitch; },
    get rates() { return { audio: audioEl.playbackRate, video: video.playbackRate }; },
  };
})();
