// The report's chart per day (uPlot, vendored): calls offered, answered and handled, or the
// talk shares of the talk tab.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const box = document.getElementById("report-chart");
  if (!box || !window.uPlot || data.x.length === 0) return;
  const colours = {
    offered: "#475467", answered: "#1f6feb", handled: "#12b76a",
    operator_talk_pct: "#1f6feb", customer_talk_pct: "#f79009", silence_pct: "#98a2b3",
  };
  const keys = Object.keys(data.series);
  const opts = {
    width: Math.max(320, box.clientWidth || 900),
    height: 260,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), data.zone),
    scales: { x: { time: true, range: [data.x[0] - 43200, data.x[data.x.length - 1] + 43200] } },
    axes: [{}, { label: "" }],
    series: [{ label: data.x_label }].concat(
      keys.map((k) => ({
        label: data.labels[k],
        stroke: colours[k],
        width: 2,
        points: { show: true, size: 5 },
      }))
    ),
  };
  const chart = new uPlot(opts, [data.x].concat(keys.map((k) => data.series[k])), box);
  window.agentdeskReport = { chart, series: keys.length, points: data.x.length };
})();
