/* Maps: Leaflet (from the xstatic-leaflet package) with the grid boundaries drawn from the API.
   Without a tile source (the default, for closed networks) the boundaries stand on a plain background.

   Markup: <div data-map data-level="grid" data-pick="true" data-focus="CODE" data-tiles="URL"> (the
   map_panel macro). Each map element gets el.cgMap = {map, layer, marker, setPoint(lon, lat)} and fires
   "cg:pick" ({lon, lat}) when the user picks a point and "cg:ready" when its boundaries are drawn. */
(function () {
  "use strict";
  var civicgrid = (window.civicgrid = window.civicgrid || {});
  var cache = {};

  civicgrid.areasGeoJSON = function (level) {
    if (!cache[level]) {
      cache[level] = fetch("/api/v1/areas/geojson?level=" + encodeURIComponent(level), {
        credentials: "same-origin",
      }).then(function (res) {
        if (!res.ok) throw new Error("areas " + res.status);
        return res.json();
      });
    }
    return cache[level];
  };

  civicgrid.boundaryStyle = { color: "#1747a6", weight: 1, fillColor: "#9ec1ff", fillOpacity: 0.08 };

  civicgrid.drawMap = function (el) {
    if (el.cgMap) return el.cgMap;
    el.style.height = el.getAttribute("data-height") || "320px";
    var map = L.map(el, { zoomControl: true, attributionControl: !!el.getAttribute("data-tiles") });
    map.setView([35.4, 116.6], 12);
    var tiles = el.getAttribute("data-tiles");
    if (tiles) {
      L.tileLayer(tiles, { attribution: el.getAttribute("data-attribution") || "", maxZoom: 19 }).addTo(map);
    }
    var state = { map: map, layer: null, marker: null };
    state.setPoint = function (lon, lat, pan) {
      var at = [lat, lon];
      if (state.marker) state.marker.setLatLng(at);
      else state.marker = L.circleMarker(at, { radius: 9, color: "#a3111a", weight: 3, fillOpacity: 0.6 }).addTo(map);
      if (pan) map.setView(at, Math.max(map.getZoom(), 15));
    };
    var level = el.getAttribute("data-level") || "grid";
    var focus = el.getAttribute("data-focus") || "";
    civicgrid.areasGeoJSON(level).then(function (data) {
      state.layer = L.geoJSON(data, {
        style: function (feature) {
          var own = focus && feature.properties && feature.properties.code === focus;
          return own ? { color: "#a3111a", weight: 3, fillColor: "#f5a623", fillOpacity: 0.2 } : civicgrid.boundaryStyle;
        },
        onEachFeature: function (feature, layer) {
          if (feature.properties && feature.properties.name) layer.bindTooltip(feature.properties.name, { sticky: true });
        },
      }).addTo(map);
      var target = state.layer;
      if (focus) {
        state.layer.eachLayer(function (l) {
          if (l.feature && l.feature.properties.code === focus) target = l;
        });
      }
      if (target.getBounds && target.getBounds().isValid()) map.fitBounds(target.getBounds(), { padding: [8, 8] });
      el.dispatchEvent(new CustomEvent("cg:ready", { detail: state }));
    }).catch(function () {
      el.classList.add("map-failed");
    });
    if (el.getAttribute("data-pick") === "true") {
      map.on("click", function (event) {
        state.setPoint(event.latlng.lng, event.latlng.lat, false);
        el.dispatchEvent(new CustomEvent("cg:pick", { detail: { lon: event.latlng.lng, lat: event.latlng.lat } }));
      });
    }
    el.cgMap = state;
    return state;
  };

  /* "Use my location": the browser's position, picked on the map as if clicked. */
  civicgrid.useMyLocation = function (el, onError) {
    if (!navigator.geolocation) { if (onError) onError("unsupported"); return; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      var state = civicgrid.drawMap(el);
      state.setPoint(pos.coords.longitude, pos.coords.latitude, true);
      el.dispatchEvent(new CustomEvent("cg:pick", { detail: { lon: pos.coords.longitude, lat: pos.coords.latitude } }));
    }, function (err) { if (onError) onError(err && err.code); }, { enableHighAccuracy: true, timeout: 15000 });
  };

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-map]"), civicgrid.drawMap);
  });
})();
