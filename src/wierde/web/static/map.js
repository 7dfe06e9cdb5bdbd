// Maps on portal pages, drawn with Leaflet from Wierde's own APIs. Pages work without it: the data stay reachable
// through the tables and links beside each map. Texts come from the page (data-i18n), in its language.
(function () {
  "use strict";
  if (!window.L) { return; }
  var script = document.currentScript || document.querySelector("script[data-basemap]");
  var basemap = script ? script.getAttribute("data-basemap") : "";
  var locale = document.documentElement.lang === "en" ? "en-GB" : "nl-NL";
  var numbers = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
  var PALETTE = ["#0b5563", "#2a7f62", "#7a5c99", "#a6192e", "#b7791f", "#3b6ea5", "#5d7f2a", "#8a4f7d", "#276c81", "#9c4a1a"];
  var RAMP = ["#e3f0ed", "#a7d3ca", "#5fab9d", "#2a7d70", "#0b4d44"]; // light to dark: low to high
  var NO_DATA = "#c8ccd0";

  function texts(el) {
    try { return JSON.parse(el.getAttribute("data-i18n") || "{}"); } catch (e) { return {}; }
  }
  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (_, key) { return values[key] === undefined ? "" : values[key]; });
  }
  function escape(text) {
    return String(text === null || text === undefined ? "" : text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function say(id, text) {
    var p = document.getElementById(id);
    if (p) { p.textContent = text; }
  }
  function format(value) { return value === null || value === undefined ? "–" : numbers.format(value); }

  function newMap(el) {
    var map = L.map(el, { zoomSnap: 0.25 });
    if (basemap) { L.tileLayer(basemap, { maxZoom: 19, attribution: "Kaartgegevens © Kadaster" }).addTo(map); }
    return map;
  }

  function getJSON(url, signal) {
    return fetch(url, { headers: { Accept: "application/geo+json" }, signal: signal }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    });
  }

  function addContext(map, url) {
    // Municipal boundaries as quiet context under points and lines (there is no basemap offline).
    getJSON(url).then(function (data) {
      L.geoJSON(data, { interactive: false, style: { color: "#8a96a3", weight: 1, fillColor: "#f3f6f9", fillOpacity: 1 } })
        .addTo(map).bringToBack();
    }).catch(function () { /* context is optional */ });
  }

  // A whole (small) GeoJSON document, e.g. the municipalities on the home page.
  function drawGeoJSON(el) {
    var map = newMap(el);
    if (el.dataset.context) { addContext(map, el.dataset.context); }
    getJSON(el.dataset.geojson).then(function (data) {
      var i = 0;
      var layer = L.geoJSON(data, {
        style: function () { var c = PALETTE[i++ % PALETTE.length]; return { color: "#ffffff", weight: 1.5, fillColor: c, fillOpacity: 0.65 }; },
        pointToLayer: function (f, latlng) { return L.circleMarker(latlng, { radius: 5, color: "#073b45", weight: 1, fillColor: "#0b5563", fillOpacity: 0.8 }); },
        onEachFeature: function (f, l) {
          var p = f.properties || {};
          var name = p.naam || p.name || p.statnaam || p.code || p.id || "";
          if (name) { l.bindTooltip(String(name)); }
        }
      }).addTo(map);
      if (layer.getBounds().isValid()) { map.fitBounds(layer.getBounds(), { padding: [10, 10] }); }
      document.body.setAttribute("data-map-ready", "1");
    }).catch(function () { el.setAttribute("data-error", "1"); });
  }

  // A dataset's features for the current view, asked again after every move: simplified shapes, or counts per
  // grid cell where too many lie in view (the server decides).
  function drawLayer(el) {
    var t = texts(el);
    var map = newMap(el);
    var group = L.featureGroup().addTo(map);
    var pending = null;
    var collection = el.getAttribute("data-dataset");
    if (el.dataset.context) { addContext(map, el.dataset.context); }
    var box = (el.getAttribute("data-bbox") || "").split(",").map(Number);
    if (box.length === 4 && box.every(isFinite)) {
      map.fitBounds([[box[1], box[0]], [box[3], box[2]]], { padding: [10, 10], maxZoom: 16 });
    } else {
      map.setView([53.2, 6.7], 9);
    }

    function cluster(feature, latlng) {
      var n = feature.properties.count;
      var size = Math.round(24 + Math.min(26, Math.log(n) * 3.5));
      var marker = L.marker(latlng, {
        icon: L.divIcon({ className: "map-cluster", html: "<span>" + escape(format(n)) + "</span>", iconSize: [size, size] }),
        title: fill(t.cluster, { n: format(n) }), keyboard: false
      });
      marker.on("click", function () { map.setView(latlng, Math.min(map.getZoom() + 2, 19)); });
      return marker;
    }
    function point(feature, latlng) {
      return L.circleMarker(latlng, { radius: 5, color: "#073b45", weight: 1, fillColor: "#0b5563", fillOpacity: 0.8 });
    }
    function describe(feature, layer) {
      var p = feature.properties || {};
      if (p.cluster) { return; }
      if (p.label !== undefined) { layer.bindTooltip(escape(p.label)); }
      var href = "/ogc/collections/" + encodeURIComponent(collection) + "/items/" + feature.id + "?f=html";
      layer.bindPopup("<strong>" + escape(p.label === undefined ? "#" + feature.id : p.label) + "</strong><br><a href=\"" +
        href + "\">" + escape(t.details) + "</a>");
    }
    function draw(data) {
      var i = 0;
      group.clearLayers();
      L.geoJSON(data, {
        pointToLayer: function (f, latlng) { return f.properties && f.properties.cluster ? cluster(f, latlng) : point(f, latlng); },
        style: function () { var c = PALETTE[i++ % PALETTE.length]; return { color: "#ffffff", weight: 1.5, fillColor: c, fillOpacity: 0.65 }; },
        onEachFeature: describe
      }).eachLayer(function (l) { group.addLayer(l); });
      say("map-status", fill(data.clustered ? t.counted : t.shown, { n: format(data.numberMatched) }));
      document.body.setAttribute("data-map-ready", "1");
    }
    function load() {
      if (pending && pending.abort) { pending.abort(); }
      pending = window.AbortController ? new AbortController() : null;
      var b = map.getBounds();
      var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(6); }).join(",");
      var url = el.getAttribute("data-layer") + "?bbox=" + bbox + "&zoom=" + Math.max(0, Math.floor(map.getZoom()));
      getJSON(url, pending && pending.signal).then(draw).catch(function (e) {
        if (e && e.name === "AbortError") { return; } // a newer view replaced this one
        el.setAttribute("data-error", "1");
        say("map-status", t.failed);
      });
    }
    say("map-status", t.loading);
    map.on("moveend", load);
    load();
  }

  // Region-keyed data: one value per region, coloured by quantile class, with a legend and a table of the values.
  function drawChoropleth(el) {
    var t = texts(el);
    var form = document.getElementById("choropleth-form");
    var map = newMap(el);
    var layer = null;
    var first = true;
    var asked = 0;
    var legend = L.control({ position: "bottomright" });
    legend.onAdd = function () {
      var div = L.DomUtil.create("div", "map-legend");
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    legend.addTo(map);
    map.setView([53.2, 6.7], 9);

    function query() {
      var parts = [];
      if (form) {
        Array.prototype.forEach.call(form.querySelectorAll("select"), function (s) {
          if (s.value) { parts.push(encodeURIComponent(s.name) + "=" + encodeURIComponent(s.value)); }
        });
      }
      return parts.join("&");
    }
    function colours(count) {
      if (count <= 1) { return [RAMP[RAMP.length - 1]]; }
      var out = [];
      for (var i = 0; i < count; i++) { out.push(RAMP[Math.round(i * (RAMP.length - 1) / (count - 1))]); }
      return out;
    }
    function legendHTML(data, ramp) {
      var html = "<h3>" + escape(t.legend) + "</h3><p>" + escape(data.measure) + " (" + escape(t[data.agg] || data.agg) + ")" +
        (data.period ? ", " + escape(data.period) : "") + "</p><ul>";
      for (var i = 0; i + 1 < data.breaks.length; i++) {
        html += "<li><i aria-hidden=\"true\" style=\"background:" + ramp[i] + "\"></i>" + escape(format(data.breaks[i])) +
          " – " + escape(format(data.breaks[i + 1])) + "</li>";
      }
      return html + "<li><i aria-hidden=\"true\" style=\"background:" + NO_DATA + "\"></i>" + escape(t.noData) + "</li></ul>";
    }
    function table(data) {
      var box = document.getElementById("choropleth-table");
      if (!box) { return; }
      var rows = data.features.map(function (f) {
        var p = f.properties;
        return "<tr><td>" + escape(p.name || p.code) + "</td><td>" + escape(p.code) + "</td><td class=\"num\">" +
          escape(format(p.value)) + "</td><td class=\"num\">" + escape(format(p.count)) + "</td></tr>";
      });
      box.innerHTML = "<table class=\"data\"><caption>" + escape(t.tableCaption) + ": " + escape(data.measure) + " (" +
        escape(t[data.agg] || data.agg) + ")" + (data.period ? ", " + escape(data.period) : "") + "</caption><thead><tr>" +
        "<th scope=\"col\">" + escape(t.region) + "</th><th scope=\"col\">" + escape(t.code) + "</th><th scope=\"col\">" +
        escape(t.value) + "</th><th scope=\"col\">" + escape(t.rows) + "</th></tr></thead><tbody>" + rows.join("") + "</tbody></table>";
    }
    function draw(data) {
      var ramp = colours(Math.max(data.breaks.length - 1, 1));
      if (layer) { map.removeLayer(layer); }
      layer = L.geoJSON(data, {
        style: function (f) {
          var c = f.properties["class"];
          return { color: "#ffffff", weight: 1, fillColor: c === null || c === undefined ? NO_DATA : ramp[c], fillOpacity: 0.85 };
        },
        onEachFeature: function (f, l) {
          l.bindTooltip(escape(f.properties.name || f.properties.code) + ": " + escape(format(f.properties.value)));
        }
      }).addTo(map);
      if (first && layer.getBounds().isValid()) { map.fitBounds(layer.getBounds(), { padding: [10, 10] }); }
      first = false;
      legend.getContainer().innerHTML = legendHTML(data, ramp);
      table(data);
      var status = fill(t.regions, { n: format(data.features.length) }) + (data.period ? ", " + data.period : "") + ".";
      if (data.unmatched && data.unmatched.length) { status += " " + fill(t.unmatched, { codes: data.unmatched.join(", ") }); }
      say("choropleth-status", status);
      document.body.setAttribute("data-choropleth-ready", "1");
    }
    function load() {
      var q = query();
      var mine = ++asked; // answers can overtake each other: only the last choice is drawn
      getJSON(el.getAttribute("data-choropleth") + (q ? "?" + q : "")).then(function (data) {
        if (mine === asked) { draw(data); }
      }).catch(function () {
        el.setAttribute("data-error", "1");
        say("choropleth-status", t.failed);
      });
    }
    if (form) {
      form.addEventListener("change", function () {
        load();
        if (window.history && history.replaceState && window.URLSearchParams) {
          // the choice goes into the address (other parameters, such as lang, stay), so it can be shared
          var params = new URLSearchParams(window.location.search);
          Array.prototype.forEach.call(form.querySelectorAll("select"), function (s) {
            if (s.value) { params.set(s.name, s.value); } else { params.delete(s.name); }
          });
          history.replaceState(null, "", "?" + params.toString() + "#choro-h");
        }
      });
      form.addEventListener("submit", function (e) { e.preventDefault(); load(); });
    }
    say("choropleth-status", t.loading);
    load();
  }

  var objects = document.getElementById("map");
  if (objects && objects.dataset.layer) { drawLayer(objects); } else if (objects && objects.dataset.geojson) { drawGeoJSON(objects); }
  var regions = document.getElementById("choropleth");
  if (regions && regions.dataset.choropleth) { drawChoropleth(regions); }
})();
