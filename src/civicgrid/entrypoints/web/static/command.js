/* The command centre (desk and wall): the map coloured by a figure with drill-down, the daily trend chart,
   and the refresh every minute. Numbers in tables and key figures are rendered by the server; a refresh
   fetches the same page and swaps the [data-swap] parts in place (no reload, no flicker), so there is one
   way of writing a figure. Rates are fractions; null is "no data", drawn as such, never as 0 %. */
(function () {
  "use strict";
  var root = document.getElementById("cc");
  if (!root) return;
  // This file runs while the page is still being read (before app.js): it has its own small GET helper.
  var locale = (document.querySelector('meta[name="locale"]') || {}).content || "zh_CN";
  function getJSON(url) {
    var headers = { Accept: "application/json", "Accept-Language": locale === "en" ? "en" : "zh-CN" };
    return fetch(url, { credentials: "same-origin", headers: headers }).then(function (res) {
      return res.json().then(
        function (data) { return { ok: res.ok, status: res.status, data: data }; },
        function () { return { ok: false, status: res.status, data: null }; }
      );
    });
  }
  var S = JSON.parse(document.getElementById("cc-strings").textContent);
  var wall = root.getAttribute("data-wall") === "true";
  var RATES = ["response", "resolution", "satisfaction", "on_time", "closure", "rework"];
  var GOOD_TO_BAD = ["#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027"];
  var BLUES = ["#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c"];
  var REDS = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"];
  var NO_DATA = wall ? "#2a3447" : "#e3e6eb";

  var view = { level: "street", parent: null };
  var figureSelect = document.getElementById("cc-figure");
  var levelSelect = document.getElementById("cc-level");
  var figure = figureSelect ? figureSelect.value : root.getAttribute("data-figure") || "score";

  function range() {
    return "from=" + encodeURIComponent(root.getAttribute("data-from")) + "&to=" + encodeURIComponent(root.getAttribute("data-to"));
  }

  function valueOf(props, f) {
    if (!props.counts) return null;
    if (f === "score" || RATES.indexOf(f) >= 0) return props.rates[f];
    return props.counts[f];
  }

  function escape(text) {
    var d = document.createElement("div");
    d.textContent = text;
    return d.innerHTML;
  }

  function format(f, v) {
    if (v === null || v === undefined) return "—";
    if (RATES.indexOf(f) >= 0) return (v * 100).toFixed(1) + "%";
    if (f === "score") return v.toFixed(1);
    return String(v);
  }

  /* Classes of a figure over the areas on the map: five quantiles of their values (fewer when values
     repeat), coloured from bad to good for rates (green is good; for rework low is good) and light to
     dark for counts. Returns [{lo, hi, colour}] from low to high; hi null for the last class. */
  function classes(f, values) {
    var rate = RATES.indexOf(f) >= 0 || f === "score";
    var ramp = rate ? (f === "rework" ? GOOD_TO_BAD : GOOD_TO_BAD.slice().reverse()) : f === "open" || f === "overdue" ? REDS : BLUES;
    var sorted = values.filter(function (v) { return v !== null && v !== undefined; }).sort(function (a, b) { return a - b; });
    if (!sorted.length) return [];
    var cuts = [];
    for (var i = 0; i < 5; i++) {
      var lo = sorted[Math.floor((i / 5) * sorted.length)];
      if (!cuts.length || lo > cuts[cuts.length - 1]) cuts.push(lo);
    }
    if (cuts.length === 1) {
      // Every area alike: a count of 0 is the lightest, a rate takes the colour of its grade band.
      var v = cuts[0] / (f === "score" ? 100 : 1);
      var band = rate ? [0.4, 0.6, 0.75, 0.9].filter(function (x) { return v >= x; }).length : v > 0 ? 2 : 0;
      if (f === "rework") band = 4 - band;
      return [{ lo: cuts[0], hi: null, top: cuts[0], colour: ramp[band] }];
    }
    var top = sorted[sorted.length - 1];
    return cuts.map(function (lo, j) {
      var at = Math.round((j * 4) / (cuts.length - 1));
      return { lo: lo, hi: j + 1 < cuts.length ? cuts[j + 1] : null, top: top, colour: ramp[at] };
    });
  }

  function colourOf(bins, v) {
    if (v === null || v === undefined) return NO_DATA;
    var colour = bins.length ? bins[0].colour : NO_DATA;
    bins.forEach(function (b) { if (v >= b.lo) colour = b.colour; });
    return colour;
  }

  function legend(bins) {
    var el = document.getElementById("cc-legend");
    if (!el) return;
    el.textContent = "";
    var title = document.createElement("strong");
    title.textContent = S.figures[figure] || figure;
    el.appendChild(title);
    bins.concat([{ none: true, colour: NO_DATA }]).forEach(function (b) {
      var item = document.createElement("span");
      item.className = "cc-swatch" + (b.none ? " none" : "");
      var box = document.createElement("i");
      box.style.background = b.colour;
      item.appendChild(box);
      var count = figure !== "score" && RATES.indexOf(figure) < 0;
      var text;
      if (b.none) text = S.no_data;
      // The top bin: "≥ x", or just x when nothing in it is above x (every area at 100 %: not "≥ 100.0").
      else if (b.hi === null) text = (b.top > b.lo ? "≥ " : "") + format(figure, b.lo);
      else if (count) text = b.hi - 1 > b.lo ? b.lo + " – " + (b.hi - 1) : String(b.lo);
      else text = span(figure, b.lo, b.hi);
      item.appendChild(document.createTextNode(text));
      el.appendChild(item);
    });
  }

  /* "lo – hi" with as many decimals as it takes for the two ends to differ (close values on the map). */
  function span(f, lo, hi) {
    var k = f === "score" ? 1 : 100;
    var unit = f === "score" ? "" : "%";
    for (var d = 1; d < 4; d++) {
      var a = (lo * k).toFixed(d), b = (hi * k).toFixed(d);
      if (a !== b) return a + unit + " – " + b + unit;
    }
    return (lo * k).toFixed(3) + unit;
  }

  /* The map: Leaflet with the boundaries and figures of /api/v1/figures/map. */
  var mapEl = document.getElementById("cc-map");
  var map = null, layer = null, lastData = null;

  function ensureMap() {
    if (map || !mapEl || !window.L) return map;
    map = L.map(mapEl, { zoomControl: !wall, attributionControl: !!mapEl.getAttribute("data-tiles"), zoomSnap: 0.25 });
    var tiles = mapEl.getAttribute("data-tiles");
    if (tiles) L.tileLayer(tiles, { attribution: mapEl.getAttribute("data-attribution") || "", maxZoom: 19 }).addTo(map);
    map.setView([35.4, 116.6], 11);
    return map;
  }

  function drawMap(data, refit) {
    lastData = data;
    if (!ensureMap()) return;
    var values = data.features.map(function (ft) { return valueOf(ft.properties, figure); });
    var bins = classes(figure, values);
    var few = data.features.length <= 12 && (data.level === "street" || data.level === "community");
    if (layer) map.removeLayer(layer);
    layer = L.geoJSON(data, {
      style: function (ft) {
        var v = valueOf(ft.properties, figure);
        return {
          color: wall ? "#0b1526" : "#ffffff", weight: wall ? 2 : 1.5, fillColor: colourOf(bins, v),
          fillOpacity: v === null ? (wall ? 0.9 : 0.7) : 0.85, dashArray: v === null ? "4 3" : null,
        };
      },
      onEachFeature: function (ft, l) {
        var p = ft.properties;
        var v = valueOf(p, figure);
        var n = p.counts ? p.counts.submitted : 0;
        var label = escape(p.name) + "<br>" + (S.figures[figure] || figure) + ": " + (v === null ? S.no_data : format(figure, v));
        // A few areas carry their name and figure on the map; many show them on hover.
        if (few) l.bindTooltip(label, { permanent: true, direction: "center", className: "cc-label" });
        else l.bindTooltip(label + "<br>" + S.submitted + ": " + n, { sticky: true });
        if (p.has_children && !wall) {
          l.on("click", function () { view = { level: null, parent: p.code }; loadMap(true); });
        }
      },
    }).addTo(map);
    if (refit && layer.getBounds().isValid()) map.fitBounds(layer.getBounds(), { padding: [10, 10] });
    legend(bins);
    crumbs(data);
  }

  function crumbs(data) {
    var el = document.getElementById("cc-crumbs");
    if (!el) return;
    el.textContent = "";
    var trail = data.breadcrumb.length ? data.breadcrumb : [{ code: null, name: S.district, level: "district" }];
    trail.forEach(function (item, i) {
      if (i) el.appendChild(document.createTextNode(" › "));
      var last = i === trail.length - 1;
      var b = document.createElement(last ? "span" : "button");
      b.textContent = item.level === "district" && !item.code ? S.district : item.name;
      if (last) b.setAttribute("aria-current", "location");
      else {
        b.type = "button";
        b.className = "link";
        b.addEventListener("click", function () {
          view = item.level === "district" ? { level: "street", parent: null } : { level: null, parent: item.code };
          loadMap(true);
        });
      }
      el.appendChild(b);
    });
    var lvl = document.createElement("span");
    lvl.className = "muted";
    lvl.textContent = " · " + (S.levels[data.level] || data.level);
    el.appendChild(lvl);
    if (levelSelect) levelSelect.value = data.level;
  }

  function fetchMap() {
    var where = view.parent ? "&parent=" + encodeURIComponent(view.parent) : "&level=" + encodeURIComponent(view.level);
    return getJSON("/api/v1/figures/map?" + range() + where);
  }

  function loadMap(refit, pending) {
    if (!mapEl) return Promise.resolve();
    return (pending || fetchMap()).then(function (res) {
      if (!res.ok) throw new Error(S.map_failed);
      drawMap(res.data, refit);
      mapEl.classList.remove("map-failed");
    }).catch(function () { mapEl.classList.add("map-failed"); });
  }

  if (figureSelect) figureSelect.addEventListener("change", function () {
    figure = figureSelect.value;
    if (lastData) drawMap(lastData, false);
  });
  if (levelSelect) levelSelect.addEventListener("change", function () {
    view = { level: levelSelect.value, parent: null };
    loadMap(true);
  });

  /* The daily trend: submitted and closed as lines, gone overdue as bars. */
  var trendEl = document.getElementById("cc-trend");
  var chart = null;

  function fetchTrend() {
    return getJSON("/api/v1/figures/trends?" + range());
  }

  function loadTrend(pending) {
    if (!trendEl) return Promise.resolve();
    if (!window.echarts) {
      trendEl.textContent = S.charts_missing;
      return Promise.resolve();
    }
    return (pending || fetchTrend()).then(function (res) {
      if (!res.ok) return;
      var days = res.data.days;
      if (!chart) chart = echarts.init(trendEl, null, { renderer: "canvas" });
      var ink = wall ? "#c9d4e6" : "#3b4555";
      var grid = wall ? "#23304a" : "#e6e9ef";
      var big = wall ? 18 : 12;
      chart.setOption({
        animation: false,
        color: wall ? ["#5aa9ff", "#3ddc84", "#ff6b6b"] : ["#1747a6", "#12703a", "#c62828"],
        tooltip: { trigger: "axis" },
        legend: { top: 0, textStyle: { color: ink, fontSize: big } },
        grid: { left: 8, right: 16, top: wall ? 40 : 32, bottom: 8, containLabel: true },
        xAxis: {
          type: "category", data: days.map(function (d) { return d.date.slice(5); }),
          axisLabel: { color: ink, fontSize: big }, axisLine: { lineStyle: { color: grid } },
        },
        yAxis: { type: "value", minInterval: 1, axisLabel: { color: ink, fontSize: big }, splitLine: { lineStyle: { color: grid } } },
        series: [
          { name: S.submitted, type: "line", symbolSize: 6, data: days.map(function (d) { return d.submitted; }), lineStyle: { width: wall ? 4 : 2 } },
          { name: S.closed, type: "line", symbolSize: 6, data: days.map(function (d) { return d.closed; }), lineStyle: { width: wall ? 4 : 2 } },
          { name: S.overdue, type: "bar", barMaxWidth: 18, data: days.map(function (d) { return d.overdue; }) },
        ],
      }, true);
      var note = document.getElementById("cc-trend-note");
      if (note) note.textContent = days.length ? "" : S.no_days;
    });
  }

  /* A date typed in the period form means "from – to". */
  ["f-from", "f-to"].forEach(function (id) {
    var input = document.getElementById(id);
    var preset = document.getElementById("f-period");
    if (input && preset) input.addEventListener("change", function () { preset.value = "custom"; });
  });

  /* Categories: each 大类 folds its 小类 away behind a button (all are shown without JavaScript). */
  var expanded = {};
  function foldCategories() {
    Array.prototype.forEach.call(document.querySelectorAll("tbody.cc-major"), function (body) {
      var key = body.getAttribute("data-key");
      var minors = body.querySelectorAll("tr.minor");
      var head = body.querySelector("tr.major th");
      if (!minors.length || !head || head.querySelector("button")) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "cc-fold";
      button.textContent = head.textContent;
      head.textContent = "";
      head.appendChild(button);
      var show = function (open) {
        expanded[key] = open;
        button.setAttribute("aria-expanded", open ? "true" : "false");
        body.classList.toggle("folded", !open);
      };
      button.addEventListener("click", function () { show(!expanded[key]); });
      show(!!expanded[key]);
    });
  }

  window.addEventListener("resize", function () {
    if (chart) chart.resize();
    if (map) map.invalidateSize();
  });

  /* Every minute: the page again, its [data-swap] parts swapped in; the map and the chart redrawn. */
  function refresh() {
    if (document.hidden) return;
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (res) {
        if (!res.ok) throw new Error(String(res.status));
        return res.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("cc");
        if (!fresh) throw new Error("no page");
        root.setAttribute("data-from", fresh.getAttribute("data-from"));
        root.setAttribute("data-to", fresh.getAttribute("data-to"));
        Array.prototype.forEach.call(document.querySelectorAll("[data-swap]"), function (el) {
          var next = doc.querySelector('[data-swap="' + el.getAttribute("data-swap") + '"]');
          if (next && !el.contains(document.activeElement)) el.innerHTML = next.innerHTML;
        });
        foldCategories();
        var stamp = doc.querySelector(".cc-updated");
        Array.prototype.forEach.call(document.querySelectorAll(".cc-updated"), function (el) {
          el.classList.remove("stale");
          if (stamp) el.textContent = stamp.textContent;
        });
        return Promise.all([loadMap(false), loadTrend()]);
      })
      .catch(function () {
        Array.prototype.forEach.call(document.querySelectorAll(".cc-updated"), function (el) { el.classList.add("stale"); });
      });
  }

  // The data is asked for now; it is drawn once Leaflet and ECharts (loaded after this file) are there.
  var firstMap = mapEl ? fetchMap() : null;
  var firstTrend = trendEl ? fetchTrend() : null;
  document.addEventListener("DOMContentLoaded", function () {
    start(firstMap, firstTrend);
  });

  function start(pendingMap, pendingTrend) {
    foldCategories();
    Promise.all([loadMap(true, pendingMap), loadTrend(pendingTrend)]).then(ready);
  }

  function ready() {
    root.setAttribute("data-ready", "true");
    // Milliseconds from the start of navigation to every panel drawn (bench/command.py reads it).
    root.setAttribute("data-ready-ms", String(Math.round(window.performance.now())));
    root.dispatchEvent(new CustomEvent("cc:ready"));
  }
  var every = parseInt(root.getAttribute("data-refresh") || "0", 10);
  if (every > 0) window.setInterval(refresh, every * 1000);
})();
