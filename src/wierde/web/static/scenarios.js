// The scenario pages: the bridges sized by the delay they cause, and a suitability map whose weights a reader sets.
// Everything is read from Wierde's own APIs (which ask the access function); the pages work without this script,
// with the tables and the weights form answered by the server.
(function () {
  "use strict";
  if (!window.L) { return; }
  var script = document.currentScript || document.querySelector("script[data-basemap]");
  var basemap = script ? script.getAttribute("data-basemap") : "";
  var locale = document.documentElement.lang === "en" ? "en-GB" : "nl-NL";
  var whole = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  var tenths = new Intl.NumberFormat(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  var hundredths = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  var RAMP = ["#f1e9d2", "#c9d9a8", "#7fb38a", "#3f8a74", "#0b4d44"]; // low to high suitability
  var NO_DATA = "#c8ccd0";

  function attribute(el, name) {
    try { return JSON.parse(el.getAttribute(name) || "{}"); } catch (e) { return {}; }
  }
  function escape(text) {
    return String(text === null || text === undefined ? "" : text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (_, key) { return values[key] === undefined ? "" : values[key]; });
  }
  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/json, application/geo+json" } }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    });
  }
  function optional(url) { return url ? getJSON(url).catch(function () { return null; }) : Promise.resolve(null); }
  function newMap(el) {
    var map = L.map(el, { zoomSnap: 0.25 });
    if (basemap) { L.tileLayer(basemap, { maxZoom: 19, attribution: "Kaartgegevens © Kadaster" }).addTo(map); }
    map.setView([53.2, 6.75], 9);
    return map;
  }
  function say(id, text) { var p = document.getElementById(id); if (p) { p.textContent = text; } }
  function ready() { document.body.setAttribute("data-scenario-ready", "1"); }
  function context(map, data) {
    // Municipal boundaries under the data: there is no basemap offline, and they give the points a place.
    if (!data) { return null; }
    return L.geoJSON(data, { interactive: false, style: { color: "#8a96a3", weight: 1, fillColor: "#f3f6f9", fillOpacity: 1 } }).addTo(map);
  }

  // --- /scenarios/bruggen ------------------------------------------------------------------------------------

  function roundish(value) {
    if (value <= 0) { return 0; }
    var power = Math.pow(10, Math.floor(Math.log10(value)) - 1);
    return Math.round(value / power) * power;
  }

  function bridgeLegend(map, t, max, radius) {
    var legend = L.control({ position: "bottomleft" });
    legend.onAdd = function () {
      var div = L.DomUtil.create("div", "map-legend");
      var values = [roundish(max), roundish(max / 4), roundish(max / 16)];
      var size = Math.ceil(radius(max)) * 2 + 4;
      var html = "<h3>" + escape(t.legend) + "</h3><ul>";
      values.forEach(function (v) {
        var r = radius(v);
        html += "<li><svg width=\"" + size + "\" height=\"" + size + "\" aria-hidden=\"true\"><circle cx=\"" + size / 2 + "\" cy=\"" + size / 2 +
          "\" r=\"" + r.toFixed(1) + "\" class=\"bridge-dot\"></circle></svg> " + escape(whole.format(v)) + " " + escape(t.hours) + "</li>";
      });
      html += "<li><i class=\"swatch-nature\"></i>" + escape(t.nature) + "</li><li><i class=\"swatch-marina\"></i>" + escape(t.marina) + "</li></ul>";
      div.innerHTML = html;
      return div;
    };
    legend.addTo(map);
  }

  function drawBridges(el) {
    var src = attribute(el, "data-sources");
    var t = attribute(el, "data-i18n");
    var map = newMap(el);
    Promise.all([getJSON(src.bridges), getJSON(src.delays), optional(src.nature), optional(src.context)]).then(function (found) {
      var province = context(map, found[3]);
      if (found[2]) {
        L.geoJSON(found[2], {
          interactive: false,
          style: function (f) {
            var marina = f.properties && f.properties.soort === "jachthaven";
            return marina ? { color: "#3b6ea5", weight: 1, fillColor: "#3b6ea5", fillOpacity: 0.7 }
              : { color: "#2a7f62", weight: 1, fillColor: "#8cc5a5", fillOpacity: 0.55 };
          }
        }).addTo(map);
      }
      var delay = {};
      var max = 0;
      found[1].rows.forEach(function (row) {
        delay[row.bridge_id] = row;
        max = Math.max(max, row.voertuiguren_vertraging || 0);
      });
      function radius(v) { return 3 + 21 * Math.sqrt(Math.max(v, 0) / (max || 1)); }
      var points = L.geoJSON(found[0], {
        pointToLayer: function (f, latlng) {
          var row = delay[f.properties.bridge_id] || {};
          var hours = row.voertuiguren_vertraging || 0;
          return L.circleMarker(latlng, { radius: radius(hours), color: "#ffffff", weight: 1.5, fillColor: "#a6192e", fillOpacity: 0.75 })
            .bindTooltip(escape(f.properties.naam) + ": " + escape(whole.format(hours)) + " " + escape(t.hours) + ", " +
              escape(whole.format(row.openingen || 0)) + " " + escape(t.openings));
        }
      }).addTo(map);
      var extent = province && province.getBounds().isValid() ? province.getBounds() : points.getBounds();
      if (extent.isValid()) { map.fitBounds(extent, { padding: [10, 10] }); }
      bridgeLegend(map, t, max, radius);
      say("bridge-map-status", fill(t.shown, { n: found[0].features.length }));
      ready();
    }).catch(function () {
      el.setAttribute("data-error", "1");
      say("bridge-map-status", t.failed);
      ready();
    });
  }

  // --- /scenarios/bouwen -------------------------------------------------------------------------------------

  // The view's score: the weighted mean of the factors a neighbourhood has (a missing factor is left out).
  function score(row, weights) {
    var sum = 0, total = 0;
    Object.keys(weights).forEach(function (column) {
      var value = row[column];
      if (value !== null && value !== undefined) { sum += weights[column] * value; total += weights[column]; }
    });
    return total > 0 ? sum / total : null;
  }

  // Class limits at quantiles, as the server's choropleth makes them (lowest, limits between classes, highest).
  function breaks(values, classes) {
    var sorted = values.slice().sort(function (a, b) { return a - b; });
    if (!sorted.length) { return []; }
    var distinct = sorted.filter(function (v, i) { return i === 0 || v !== sorted[i - 1]; }).length;
    var count = Math.min(classes, distinct);
    if (count <= 1) { return [sorted[0], sorted[sorted.length - 1]]; }
    var limits = [];
    for (var i = 0; i <= count; i++) {
      var position = (sorted.length - 1) * i / count;
      var low = Math.floor(position), high = Math.min(low + 1, sorted.length - 1);
      var limit = sorted[low] + (sorted[high] - sorted[low]) * (position - low);
      if (!limits.length || limit > limits[limits.length - 1]) { limits.push(limit); }
    }
    return limits;
  }
  function classOf(value, limits) {
    if (value === null || limits.length < 2) { return null; }
    for (var i = 1; i < limits.length - 1; i++) { if (value < limits[i]) { return i - 1; } }
    return limits.length - 2;
  }
  function colour(cls, limits) {
    if (cls === null) { return NO_DATA; }
    var n = limits.length - 1;
    return RAMP[n <= 1 ? RAMP.length - 1 : Math.round(cls * (RAMP.length - 1) / (n - 1))];
  }

  function rank(rows, weights) {
    var scored = [];
    rows.forEach(function (row) {
      var s = score(row, weights);
      if (s !== null) { scored.push({ row: row, score: s }); }
    });
    scored.sort(function (a, b) { return b.score - a.score || (a.row.bu_code < b.row.bu_code ? -1 : 1); });
    var place = 0;
    scored.forEach(function (item, i) {
      place = i > 0 && scored[i - 1].score === item.score ? place : i + 1;
      item.place = place;
    });
    return scored;
  }

  function drawBuild(el) {
    var src = attribute(el, "data-sources");
    var t = attribute(el, "data-i18n");
    var form = document.getElementById("weights");
    var inputs = Array.prototype.slice.call(form.querySelectorAll("input[type=range]"));
    var body = document.querySelector("#ranking tbody");
    var map = newMap(el);
    var layer = null, rows = [], byCode = {}, limits = [], scores = {}, pending = false;
    var legend = L.control({ position: "bottomleft" });  // south-west of the province lies Drenthe: no data hidden
    legend.onAdd = function () { return L.DomUtil.create("div", "map-legend"); };

    function weights() {
      var w = {};
      inputs.forEach(function (input) { w[input.name] = parseFloat(input.value) || 0; });
      return w;
    }
    function showLegend() {
      var div = legend.getContainer();
      if (!div) { return; }
      var html = "<h3>" + escape(t.legend) + "</h3><ul>";
      for (var i = 0; i < limits.length - 1; i++) {
        html += "<li><i style=\"background:" + colour(i, limits) + "\"></i>" + escape(hundredths.format(limits[i])) + " – " +
          escape(hundredths.format(limits[i + 1])) + "</li>";
      }
      div.innerHTML = html + "<li><i style=\"background:" + NO_DATA + "\"></i>" + escape(t.noData) + "</li></ul>";
    }
    function showRanking(ranked) {
      body.innerHTML = ranked.slice(0, src.ranked).map(function (item) {
        return "<tr><td class=\"num\">" + item.place + "</td><th scope=\"row\">" + escape(item.row.buurt_naam) + "</th><td>" +
          escape(item.row.gemeente_naam) + "</td><td class=\"num\">" + escape(hundredths.format(item.score)) + "</td></tr>";
      }).join("");
    }
    function remember(w) {
      var params = new URLSearchParams(window.location.search);
      var changed = inputs.some(function (input) { return parseFloat(input.getAttribute("data-default")) !== w[input.name]; });
      inputs.forEach(function (input) {
        if (changed) { params.set(input.name, String(w[input.name])); } else { params.delete(input.name); }
      });
      var query = params.toString();
      window.history.replaceState(null, "", window.location.pathname + (query ? "?" + query : "") + window.location.hash);
    }
    function update(announce) {
      pending = false;
      var w = weights();
      inputs.forEach(function (input) {
        var out = document.getElementById("o-" + input.name);
        if (out) { out.textContent = tenths.format(w[input.name]); }
      });
      var ranked = rank(rows, w);
      scores = {};
      ranked.forEach(function (item) { scores[item.row.bu_code] = item.score; });
      limits = breaks(ranked.map(function (item) { return item.score; }), RAMP.length);
      if (layer) { layer.setStyle(style); }
      showLegend();
      showRanking(ranked);
      remember(w);
      if (announce) {
        say("ranking-status", ranked.length ? fill(t.updated, { name: ranked[0].row.buurt_naam, place: ranked[0].row.gemeente_naam }) : t.none);
      }
    }
    function schedule() {
      if (!pending) { pending = true; window.requestAnimationFrame(function () { update(true); }); }
    }
    function style(feature) {
      var value = scores[feature.properties.code];
      var cls = value === undefined ? null : classOf(value, limits);
      return { color: "#ffffff", weight: 0.8, fillColor: colour(cls, limits), fillOpacity: 0.85 };
    }

    Promise.all([getJSON(src.regions), getJSON(src.rows)]).then(function (found) {
      rows = found[1].rows;
      rows.forEach(function (row) { byCode[row.bu_code] = row; });
      update(false);
      layer = L.geoJSON(found[0], {
        style: style,
        onEachFeature: function (f, l) {
          l.bindTooltip(function () {
            var value = scores[f.properties.code];
            var row = byCode[f.properties.code] || {};
            return escape(f.properties.name) + (row.gemeente_naam ? " (" + escape(row.gemeente_naam) + ")" : "") + ": " +
              (value === undefined ? escape(t.noData) : escape(t.score) + " " + escape(hundredths.format(value)));
          });
        }
      }).addTo(map);
      if (layer.getBounds().isValid()) { map.fitBounds(layer.getBounds(), { padding: [10, 10] }); }
      legend.addTo(map);
      showLegend();
      inputs.forEach(function (input) { input.addEventListener("input", schedule); });
      form.addEventListener("submit", function (event) { event.preventDefault(); update(true); });
      var reset = document.getElementById("reset-weights");
      if (reset) {
        reset.addEventListener("click", function (event) {
          event.preventDefault();
          inputs.forEach(function (input) { input.value = input.getAttribute("data-default"); });
          update(true);
        });
      }
      ready();
    }).catch(function () {
      el.setAttribute("data-error", "1");
      say("build-map-status", t.failed);
      ready();
    });
  }

  var bridges = document.getElementById("bridge-map");
  if (bridges) { drawBridges(bridges); }
  var build = document.getElementById("build-map");
  if (build) { drawBuild(build); }
}());
