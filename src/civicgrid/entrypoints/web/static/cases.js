/* The case page: mark the case's point on its map (the micro-grid itself is focused by map.js). */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector(".case-map");
    var el = box && box.querySelector("[data-map]");
    if (!el || !window.civicgrid || !window.civicgrid.drawMap) return;
    var lon = parseFloat(box.getAttribute("data-lon"));
    var lat = parseFloat(box.getAttribute("data-lat"));
    if (isNaN(lon) || isNaN(lat)) return;
    var state = window.civicgrid.drawMap(el);
    state.setPoint(lon, lat, true);
  });
})();
