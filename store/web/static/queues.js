// The queue report's charts (uPlot, vendored): calls offered, answered and abandoned per hour
// or day, and the service level (% of offered calls answered within the norm).
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("queues-data").textContent);
  const countsBox = document.getElementById("queues-counts");
  const slBox = document.getElementById("queues-sl");
  if (!countsBox || !slBox || !window.uPlot || data.x.length === 0) return;
  const half = data.hours ? 1800 : 43200;
  const x = { time: true, range: [data.x[0] - half, data.x[data.x.length - 1] + half] };
  const tzDate = (ts) => uPlot.tzDate(new Date(ts * 1000), data.zone);
  const width = Math.max(320, countsBox.clientWidth || 900);
  const colours = { offered: "#475467", answered: "#1f6feb", abandoned: "#d92d20" };
  const keys = Object.keys(data.counts);
  const counts = new uPlot({
    width, height: 240, tzDate,
    scales: { x },
    axes: [{}, { label: data.calls_axis }],
    series: [{ label: data.x_label }].concat(keys.map((k) => ({
      label: data.labels[k], stroke: colours[k], width: 2, points: { show: true, size: 5 },
    }))),
  }, [data.x].concat(keys.map((k) => data.counts[k])), countsBox);
  const sl = new uPlot({
    width, height: 200, tzDate,
    scales: { x, y: { range: [0, 100] } },
    axes: [{}, { label: "%" }],
    series: [{ label: data.x_label }, {
      label: data.labels.service_level_pct, stroke: "#12b76a", width: 2,
      fill: "rgba(18, 183, 106, 0.12)", spanGaps: false, points: { show: true, size: 5 },
    }],
  }, [data.x, data.sl], slBox);
  window.agentdeskQueues = {
    series: keys.length + 1,
    points: data.x.length,
    counts: Object.fromEntries(keys.map((k) => [k, counts.data[keys.indexOf(k) + 1].reduce((a, b) => a + b, 0)])),
    sl: sl.data[1].filter((v) => v != null),
  };
})();
