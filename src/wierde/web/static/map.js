// Draws the GeoJSON named by #map[data-geojson] with Leaflet; the page works without it (no JS, no map).
(function () {
  var el = document.getElementById("map");
  if (!el || !window.L || !el.dataset.geojson) { return; }
  var script = document.currentScript || document.querySelector("script[data-basemap]");
  var basemap = script ? script.getAttribute("data-basemap") : "";
  var map = L.map(el, { zoomSnap: 0.25, attributionControl: true });
  if (basemap) { L.tileLayer(basemap, { maxZoom: 19, attribution: "Kaartgegevens © Kadaster" }).addTo(map); }
  var palette = ["#0b5563", "#2a7f62", "#7a5c99", "#a6192e", "#b7791f", "#3b6ea5", "#5d7f2a", "#8a4f7d", "#276c81", "#9c4a1a"];
  if (el.dataset.context) {
    // Municipal boundaries as quiet context under points and lines (there is no basemap offline).
    fetch(el.dataset.context).then(function (r) { return r.json(); }).then(function (data) {
      L.geoJSON(data, { interactive: false, style: { color: "#8a96a3", weight: 1, fillColor: "#f3f6f9", fillOpacity: 1 } })
        .addTo(map).bringToBack();
    }).catch(function () { /* context is optional */ });
  }
  fetch(el.dataset.geojson, { headers: { Accept: "application/geo+json" } })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      var i = 0;
      var layer = L.geoJSON(data, {
        style: function () { var c = palette[i++ % palette.length]; return { color: "#ffffff", weight: 1.5, fillColor: c, fillOpacity: 0.65 }; },
        pointToLayer: function (f, latlng) { return L.circleMarker(latlng, { radius: 5, color: "#073b45", weight: 1, fillColor: "#0b5563", fillOpacity: 0.8 }); },
        onEachFeature: function (f, l) {
          var p = f.properties || {};
          var name = p.naam || p.name || p.statnaam || p.code || p.id || "";
          if (name) { l.bindTooltip(String(name)); }
        }
      }).addTo(map);
      if (layer.getBounds().isValid()) { map.fitBounds(layer.getBounds(), { padding: [10, 10] }); }
      document.body.setAttribute("data-map-ready", "1");
    })
    .catch(function () { el.setAttribute("data-error", "1"); });
})();
