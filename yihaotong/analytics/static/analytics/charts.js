/* Draws the charts of an analytics page from the JSON in <script id="charts-data"> (ECharts, served locally). */
(function () {
  "use strict";
  var el = document.getElementById("charts-data");
  if (!el || typeof echarts === "undefined") return;
  var data = JSON.parse(el.textContent);
  var made = [];
  function chart(id) {
    var node = document.getElementById(id);
    if (!node) return null;
    var c = echarts.init(node, null, { renderer: "svg" });
    made.push(c);
    return c;
  }
  function title(d) { return { text: d.title, subtext: d.unit ? "(" + d.unit + ")" : "", left: "left", textStyle: { fontSize: 14 } }; }
  var grid = { left: 48, right: 48, top: 70, bottom: 30, containLabel: true };
  var trend = data.trend, c;
  if (trend && (c = chart("chart-trend"))) {
    c.setOption({
      title: title(trend), tooltip: { trigger: "axis" }, legend: { top: 30 }, grid: grid,
      xAxis: { type: "category", data: trend.steps }, yAxis: { type: "value", minInterval: 1 },
      series: trend.series.map(function (s) { return { name: s.name, type: "line", stack: "total", areaStyle: {}, data: s.data }; })
    });
  }
  var direct = data.direct;
  if (direct && (c = chart("chart-direct"))) {
    c.setOption({
      title: title(direct), tooltip: { trigger: "item" }, legend: { top: 30 },
      // stillShowZeroSum: false — a period with nothing to show draws no slices rather than three equal ones
      series: [{ type: "pie", radius: ["35%", "65%"], top: 40, stillShowZeroSum: false, data: direct.data, label: { formatter: "{b}: {c} ({d}%)" } }]
    });
  }
  function bars(d, id, color) {
    if (!d || !(c = chart(id))) return;
    c.setOption({
      title: title(d), tooltip: { trigger: "axis" }, grid: grid,
      xAxis: { type: "value", name: d.unit }, yAxis: { type: "category", data: d.names, axisLabel: { width: 110, overflow: "truncate" } },
      series: [{ type: "bar", data: d.values, itemStyle: { color: color }, label: { show: true, position: "right" } }]
    });
  }
  bars(data.league, "chart-league", "#1f5fbf");
  bars(data.causes, "chart-causes", "#b3261e");
  var st = data.streets;
  if (st && (c = chart("chart-streets"))) {
    var max = Math.max.apply(null, st.tiles.map(function (t) { return t.volume; }).concat([1]));
    c.setOption({
      title: title(st),
      tooltip: { formatter: function (p) { var t = st.tiles[p.dataIndex]; return t.name + "<br>" + st.volume_label + ": " + t.volume + "<br>" + st.satisfaction_label + ": " + (t.satisfaction === null ? "—" : t.satisfaction + "%"); } },
      grid: { left: 8, right: 8, top: 60, bottom: 50 },
      xAxis: { type: "category", data: [0, 1, 2, 3], show: false }, yAxis: { type: "category", data: [2, 1, 0], show: false, inverse: true },
      visualMap: { min: 0, max: max, calculable: true, orient: "horizontal", left: "center", bottom: 0, text: [st.volume_label, ""], inRange: { color: ["#e3efff", "#1f5fbf"] } },
      series: [{ type: "heatmap", data: st.tiles.map(function (t) { return [t.x, t.y, t.volume]; }),
        label: { show: true, formatter: function (p) { var t = st.tiles[p.dataIndex]; return t.name + "\n" + t.volume + (t.satisfaction === null ? "" : " · " + t.satisfaction + "%"); } },
        itemStyle: { borderColor: "#fff", borderWidth: 3 } }]
    });
  }
  window.addEventListener("resize", function () { made.forEach(function (m) { m.resize(); }); });
  window.addEventListener("beforeprint", function () { made.forEach(function (m) { m.resize(); }); });
})();
