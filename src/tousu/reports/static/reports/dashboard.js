// The dashboard's charts, drawn by the vendored ECharts from the numbers the page carries (#dashboard-data).
// A click on a bar or a slice opens the complaints behind it.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("dashboard-data").textContent);
  var font = '"PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei","Noto Sans CJK SC",sans-serif';
  var palette = ["#1c5fb8", "#b42318", "#2f855a", "#b7791f", "#6b46c1", "#0e7490", "#9d174d", "#52606d",
                 "#dd6b20", "#319795", "#805ad5"];
  var levelColours = {high: "#b42318", medium: "#b7791f", low: "#2f855a"};

  function items(list, value) {
    return list.map(function (it) { return {name: it.label, value: it[value || "count"], link: it.link}; });
  }

  function bars(list, options) {
    options = options || {};
    return {
      grid: {left: 8, right: 24, top: 16, bottom: 8, containLabel: true},
      tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
      xAxis: options.horizontal ? {type: "value", max: options.max} : {type: "category", data: list.map(function (d) { return d.name; }),
                                    axisLabel: {interval: 0, rotate: list.length > 6 ? 30 : 0}},
      yAxis: options.horizontal ? {type: "category", inverse: true, data: list.map(function (d) { return d.name; })}
                                : {type: "value", minInterval: 1},
      series: [{type: "bar", data: list, itemStyle: {color: options.colour || palette[0]},
                label: {show: true, position: options.horizontal ? "right" : "top", formatter: options.format}}]
    };
  }

  var charts = {
    intake: function () {
      return {
        color: palette,
        grid: {left: 8, right: 16, top: 36, bottom: 8, containLabel: true},
        tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
        legend: {type: "scroll", top: 0},
        xAxis: {type: "category", data: data.intake.days.map(function (d) { return d.slice(5); })},
        yAxis: {type: "value", minInterval: 1},
        series: data.intake.series.map(function (s) {
          return {name: s.label, type: "bar", stack: "intake", emphasis: {focus: "series"},
                  data: s.counts.map(function (n, i) { return {value: n, link: s.links[i]}; })};
        })
      };
    },
    open_stage: function () { return bars(items(data.open.by_stage)); },
    open_level: function () {
      return {
        tooltip: {trigger: "item", formatter: "{b}: {c} ({d}%)"},
        series: [{type: "pie", radius: ["35%", "70%"], label: {formatter: "{b} {c}"},
                  data: data.open.by_level.map(function (it) {
                    return {name: it.label, value: it.count, link: it.link,
                            itemStyle: levelColours[it.code] ? {color: levelColours[it.code]} : undefined};
                  })}]
      };
    },
    on_time: function () {
      var list = data.on_time.stages.filter(function (s) { return s.on_time_rate !== null; }).map(function (s) {
        return {name: s.label, value: Math.round(s.on_time_rate * 1000) / 10, link: s.links.late};
      });
      var option = bars(list, {horizontal: true, max: 100, colour: palette[2], format: "{c}%"});
      option.tooltip.valueFormatter = function (v) { return v + "%"; };
      option.grid.right = 48;
      return option;
    },
    overdue: function () { return bars(items(data.overdue.by_department), {horizontal: true, colour: palette[1]}); },
    emergencies: function () { return bars(items(data.emergencies.by_state), {colour: palette[3]}); },
    incidents: function () { return bars(items(data.incidents.by_state), {colour: palette[4]}); }
  };

  document.querySelectorAll(".echart[data-chart]").forEach(function (node) {
    var build = charts[node.getAttribute("data-chart")];
    if (!build || typeof echarts === "undefined") { return; }
    var chart = echarts.init(node, null, {renderer: "svg"});
    var option = build();
    option.textStyle = {fontFamily: font};
    option.animation = false;
    chart.setOption(option);
    chart.on("click", function (params) {
      if (params.data && params.data.link) { window.location.href = params.data.link; }
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
