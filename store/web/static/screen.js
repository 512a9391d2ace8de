// An agent's screen, live: open a watch, ask for the frames after the last one painted every
// 250 ms, paint each frame's JPEG parts on the canvas, end the watch when the page goes.
(function () {
  "use strict";
  const words = JSON.parse(document.getElementById("screen-words").textContent);
  const canvas = document.getElementById("screen");
  const status = document.getElementById("screen-status");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const base = "/api/v1/agents/" + encodeURIComponent(words.agent) + "/screen/watches";
  const paint = canvas.getContext("2d");
  let watch = null;
  let after = 0;
  let haveKey = false;
  let painted = 0;
  let lastUtcUs = null;
  status.textContent = words.screen_waiting;

  async function start() {
    const r = await fetch(base, { method: "POST", credentials: "same-origin", headers: { "x-csrf-token": csrf } });
    if (!r.ok) throw new Error("HTTP " + r.status);
    watch = (await r.json()).id;
    after = 0;
  }
  function image(part) {
    return new Promise(function (resolve, reject) {
      const img = new Image();
      img.onload = function () { resolve(img); };
      img.onerror = reject;
      img.src = "data:image/jpeg;base64," + part.jpeg;
    });
  }
  async function show(frame) {
    if (frame.key) {
      if (canvas.width !== frame.width || canvas.height !== frame.height) {
        canvas.width = frame.width;
        canvas.height = frame.height;
      }
      haveKey = true;
    }
    if (!haveKey) return; // a change without the picture it changes: wait for a key frame
    const images = await Promise.all(frame.parts.map(image));
    frame.parts.forEach(function (p, i) {
      paint.drawImage(images[i], 0, 0, p.w, p.h, p.x, p.y, p.w, p.h);
    });
    painted += 1;
    lastUtcUs = frame.utc_us;
  }
  async function poll() {
    try {
      if (watch === null) await start();
      const r = await fetch(base + "/" + watch + "/frames?after=" + after, { credentials: "same-origin" });
      if (r.status === 410) { watch = null; return; }
      if (!r.ok) throw new Error("HTTP " + r.status);
      const answer = await r.json();
      for (const frame of answer.frames) await show(frame);
      after = answer.last;
      if (answer.frames.length) status.textContent = words.screen_live;
    } catch (e) {
      status.textContent = words.screen_failed + ": " + e.message;
    } finally {
      setTimeout(poll, 250);
    }
  }
  window.addEventListener("pagehide", function () {
    if (watch !== null) {
      fetch(base + "/" + watch, { method: "DELETE", credentials: "same-origin", keepalive: true, headers: { "x-csrf-token": csrf } });
    }
  });
  poll();
  window.agentdeskScreen = {
    state: function () { return { watch: watch, painted: painted, lastUtcUs: lastUtcUs }; },
    pixel: function (x, y) { return Array.from(paint.getImageData(x, y, 1, 1).data); },
  };
})();
