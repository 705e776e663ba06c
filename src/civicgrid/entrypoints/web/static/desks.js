/* The work-queue pages: keyboard intake, micro-grid search, map picking, GPS patrol, grid map points,
   and a gentle refresh of lists. Every page works without this file (plain forms); this makes them faster. */
(function () {
  "use strict";
  var civicgrid = (window.civicgrid = window.civicgrid || {});

  function texts(id) {
    var el = document.getElementById(id);
    return el ? el.dataset : {};
  }

  /* Where a point lies: "micro-grid · grid · community · street", or null outside the district. */
  function locate(lon, lat) {
    return civicgrid.api("GET", "/api/v1/locate?lon=" + lon + "&lat=" + lat).then(function (res) {
      if (!res.ok || !res.data) return null;
      var d = res.data;
      return { code: d.microgrid.code, label: [d.microgrid.name, d.grid.name, d.community.name, d.street.name].join(" · ") };
    });
  }

  /* Micro-grid search by code or name: the input's datalist fills as one types; onPick(hit) on a choice. */
  function areaSearch(input, onPick) {
    if (!input) return;
    var list = document.getElementById(input.getAttribute("list"));
    var hits = {};
    var timer = null;
    input.addEventListener("input", function () {
      var q = input.value.trim();
      if (hits[input.value]) { if (onPick) onPick(hits[input.value]); return; }
      clearTimeout(timer);
      if (!q) return;
      timer = setTimeout(function () {
        var url = "/api/v1/areas/search?level=microgrid&limit=12&q=" + encodeURIComponent(q.slice(0, 50));
        civicgrid.api("GET", url).then(function (res) {
          if (!res.ok || !res.data) return;
          list.innerHTML = "";
          res.data.forEach(function (h) {
            hits[h.label] = h;
            var option = document.createElement("option");
            option.value = h.label;
            list.appendChild(option);
          });
        });
      }, 150);
    });
  }

  /* ------------------------------------------------------------------ phone intake */
  function setupIntake(form) {
    var t = texts("intake-texts");
    var lon = document.getElementById("f-lon");
    var lat = document.getElementById("f-lat");
    var picked = document.getElementById("picked");
    var clear = document.getElementById("clear-point");
    var mapEl = document.getElementById("intake-map");

    /* Enter moves to the next field (a phone call is typed, not clicked); Ctrl+Enter files from anywhere. */
    form.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        if (form.requestSubmit) form.requestSubmit(); else form.submit();
        return;
      }
      if (event.key === "Escape" && lon.value) { clearPoint(); return; }
      var el = event.target;
      if (event.key !== "Enter" || event.shiftKey || el.tagName === "TEXTAREA" || el.tagName === "BUTTON") return;
      if (el.tagName !== "INPUT" && el.tagName !== "SELECT") return;
      event.preventDefault();
      var fields = Array.prototype.filter.call(form.elements, function (f) {
        return f.tagName !== "FIELDSET" && !f.disabled && f.type !== "hidden" && !f.hidden && f.offsetParent !== null &&
          (f.type !== "radio" || f.checked);
      });
      var i = fields.indexOf(el);
      /* After the browser applies a type-ahead choice (datalist), not before. */
      if (i >= 0 && i + 1 < fields.length) setTimeout(function () { fields[i + 1].focus(); }, 0);
    });

    function showPoint(x, y, label) {
      lon.value = x.toFixed(6);
      lat.value = y.toFixed(6);
      picked.textContent = label ? (t.located + " " + label) : (t.point + " " + lon.value + ", " + lat.value);
      clear.hidden = false;
    }
    function clearPoint() {
      lon.value = ""; lat.value = "";
      picked.textContent = t.none;
      clear.hidden = true;
      if (mapEl.cgMap && mapEl.cgMap.marker) { mapEl.cgMap.map.removeLayer(mapEl.cgMap.marker); mapEl.cgMap.marker = null; }
    }
    clear.addEventListener("click", clearPoint);
    mapEl.addEventListener("cg:pick", function (event) {
      var p = event.detail;
      showPoint(p.lon, p.lat, "");
      locate(p.lon, p.lat).then(function (found) {
        if (found) showPoint(p.lon, p.lat, found.label + " (" + found.code + ")");
        else picked.textContent = t.outside;
      });
    });
    if (lon.value && lat.value) {
      mapEl.addEventListener("cg:ready", function (event) {
        event.detail.setPoint(parseFloat(lon.value), parseFloat(lat.value), true);
      });
    }

    /* Micro-grid search: picking one puts its point on the map. */
    areaSearch(form.querySelector("[data-area-search]"), function (h) {
      if (mapEl.cgMap) mapEl.cgMap.setPoint(h.lon, h.lat, true);
    });
  }

  /* ------------------------------------------------------------------ patrol (three taps) */
  function setupPatrol(form) {
    var t = texts("patrol-texts");
    var button = document.getElementById("use-location");
    var status = document.getElementById("location-status");
    var lon = document.getElementById("f-lon");
    var lat = document.getElementById("f-lat");
    var manual = document.getElementById("manual-place");
    areaSearch(document.getElementById("f-microgrid"), null);
    button.hidden = false;
    if (!navigator.geolocation) { status.textContent = t.unsupported; return; }
    button.addEventListener("click", function () {
      status.textContent = t.locating;
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(function (pos) {
        var x = pos.coords.longitude, y = pos.coords.latitude;
        lon.value = x.toFixed(6); lat.value = y.toFixed(6);
        locate(x, y).then(function (found) {
          button.disabled = false;
          if (found) {
            status.textContent = t.located + " " + found.label;
            button.classList.add("done");
            button.textContent = t.again;
            var first = form.querySelector("input[name=category]");
            if (first) first.focus();
          } else {
            lon.value = ""; lat.value = "";
            status.textContent = t.outside;
            if (manual) manual.open = true;
          }
        });
      }, function () {
        button.disabled = false;
        status.textContent = t.failed;
        if (manual) manual.open = true;
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  /* ------------------------------------------------------------------ my grid: case points */
  function setupGridMap(mapEl) {
    var data = document.getElementById("grid-cases");
    if (!data) return;
    var points = JSON.parse(data.textContent || "[]");
    mapEl.addEventListener("cg:ready", function (event) {
      var map = event.detail.map;
      points.forEach(function (p) {
        var colour = p.overdue ? "#a3111a" : (p.warning === "yellow" ? "#b07800" : "#1747a6");
        var marker = L.circleMarker([p.lat, p.lon], { radius: 8, color: colour, weight: 2, fillOpacity: 0.7 }).addTo(map);
        var link = document.createElement("a");
        link.href = "/cases/" + encodeURIComponent(p.number);
        link.textContent = p.number;
        var box = document.createElement("div");
        box.appendChild(link);
        box.appendChild(document.createElement("br"));
        box.appendChild(document.createTextNode(p.label));
        marker.bindPopup(box);
      });
    });
  }

  /* ------------------------------------------------------------------ lists refresh themselves */
  function setupRefresh(el) {
    var seconds = parseInt(el.getAttribute("data-refresh"), 10) || 60;
    setInterval(function () {
      /* Never while someone types a reason: a reload would lose it. */
      var active = document.activeElement;
      var typing = active && (active.tagName === "TEXTAREA" || active.tagName === "INPUT" || active.tagName === "SELECT");
      var dirty = Array.prototype.some.call(document.querySelectorAll("textarea"), function (a) { return a.value.trim(); });
      if (!document.hidden && !typing && !dirty) window.location.reload();
    }, seconds * 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var intake = document.querySelector("[data-intake]");
    if (intake) setupIntake(intake);
    var patrol = document.querySelector("[data-patrol]");
    if (patrol) setupPatrol(patrol);
    var grid = document.getElementById("grid-map");
    if (grid) setupGridMap(grid);
    var refresh = document.querySelector("[data-refresh]");
    if (refresh) setupRefresh(refresh);
  });
})();
