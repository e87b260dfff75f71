// The stats dashboard: polls the /admin/stats JSON and draws small SVG charts.
// No library and no request anywhere but this app.
(function () {
  "use strict";
  var root = document.getElementById("stats-dashboard");
  if (!root) return;
  var url = root.getAttribute("data-url");
  var refresh = Math.max(500, parseFloat(root.getAttribute("data-refresh")) * 1000 || 5000);
  var SVG = "http://www.w3.org/2000/svg";
  var $ = function (id) { return document.getElementById(id); };

  function ms(seconds) {
    if (seconds === null || seconds === undefined) return "–";
    var v = seconds * 1000;
    if (v < 1) return v.toFixed(2) + " ms";
    if (v < 100) return v.toFixed(1) + " ms";
    if (v < 10000) return Math.round(v) + " ms";
    return (seconds).toFixed(1) + " s";
  }
  function num(n) { return n.toLocaleString("en-US"); }
  function text(value) { return document.createTextNode(String(value)); }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    for (var k in attrs || {}) node.setAttribute(k, attrs[k]);
    (children || []).forEach(function (c) { node.appendChild(typeof c === "object" ? c : text(c)); });
    return node;
  }
  function svgEl(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function clock(t) {
    var d = new Date(t * 1000);
    return d.toTimeString().slice(0, 8);
  }

  // Frame shared by the charts: returns {w, h, x0, y0, plotW, plotH}.
  function frame(svg, maxY, labelY, labelsX) {
    clear(svg);
    var w = svg.clientWidth || 360, h = svg.clientHeight || 180;
    svg.setAttribute("viewBox", "0 0 " + w + " " + h);
    var left = 52, bottom = 20, top = 6;
    var f = { w: w, h: h, x0: left, y0: h - bottom, plotW: w - left - 6, plotH: h - bottom - top };
    [0, 0.5, 1].forEach(function (p) {
      var y = f.y0 - p * f.plotH;
      svg.appendChild(svgEl("line", { x1: left, x2: w - 6, y1: y, y2: y, "class": "sd-axis" }));
      var t = svgEl("text", { x: left - 6, y: y + 3, "text-anchor": "end", "class": "sd-tick" });
      t.textContent = labelY(maxY * p);
      svg.appendChild(t);
    });
    (labelsX || []).forEach(function (lab) {
      var t = svgEl("text", { x: lab[0], y: h - 5, "text-anchor": lab[2] || "middle", "class": "sd-tick" });
      t.textContent = lab[1];
      svg.appendChild(t);
    });
    return f;
  }

  function timeLabels(f, points) {
    if (!points.length) return [];
    return [
      [f.x0, clock(points[0].t), "start"],
      [f.x0 + f.plotW, clock(points[points.length - 1].t), "end"]
    ];
  }

  function drawTraffic(series) {
    var svg = $("sd-chart-traffic"), pts = series.points;
    var maxY = Math.max(1, Math.max.apply(null, pts.map(function (p) { return p.count; })));
    var f = frame(svg, 0, function () { return ""; });
    f = frame(svg, maxY, function (v) { return Math.round(v); }, timeLabels(f, pts));
    var bw = f.plotW / Math.max(1, pts.length), total = 0, errors = 0;
    pts.forEach(function (p, i) {
      total += p.count; errors += p.errors;
      if (!p.count) return;
      var x = f.x0 + i * bw + bw * 0.12, width = Math.max(1, bw * 0.76);
      var hReq = (p.count / maxY) * f.plotH, hErr = (p.errors / maxY) * f.plotH;
      var bar = svgEl("rect", { x: x, y: f.y0 - hReq, width: width, height: hReq, "class": "sd-bar" });
      var title = svgEl("title", {});
      title.textContent = clock(p.t) + ": " + p.count + " requests, " + p.errors + " errors";
      bar.appendChild(title);
      svg.appendChild(bar);
      if (p.errors) svg.appendChild(svgEl("rect", { x: x, y: f.y0 - hErr, width: width, height: hErr, "class": "sd-bar sd-bar--err" }));
    });
    svg.setAttribute("data-total", total);
    svg.setAttribute("data-errors", errors);
  }

  function drawLatency(series) {
    var svg = $("sd-chart-latency"), pts = series.points, keys = ["p50", "p95", "p99"];
    var maxY = 0, drawn = 0;
    pts.forEach(function (p) { keys.forEach(function (k) { if (p[k] > maxY) maxY = p[k]; }); });
    maxY = maxY || 0.001;
    var f = frame(svg, 0, function () { return ""; });
    f = frame(svg, maxY, ms, timeLabels(f, pts));
    var step = f.plotW / Math.max(1, pts.length - 1);
    keys.forEach(function (k) {
      var d = "", pen = "M";
      var dots = [];
      pts.forEach(function (p, i) {
        if (p[k] === null) { pen = "M"; return; }
        var x = (f.x0 + i * step).toFixed(1), y = (f.y0 - (p[k] / maxY) * f.plotH).toFixed(1);
        d += pen + x + "," + y + " ";
        pen = "L";
        var dot = svgEl("circle", { cx: x, cy: y, r: 2.5, "class": "sd-dot sd-line--" + k });
        var title = svgEl("title", {});
        title.textContent = clock(p.t) + " " + k + ": " + ms(p[k]);
        dot.appendChild(title);
        dots.push(dot);
        if (k === "p50") drawn += 1;
      });
      if (d) svg.appendChild(svgEl("path", { d: d, "class": "sd-line sd-line--" + k }));
      dots.forEach(function (dot) { svg.appendChild(dot); });
    });
    svg.setAttribute("data-points", drawn);
  }

  function drawHistogram(doc) {
    var svg = $("sd-chart-histogram"), bounds = doc.buckets, counts = bounds.map(function () { return 0; });
    Object.keys(doc.endpoints).forEach(function (name) {
      doc.endpoints[name].histogram.forEach(function (n, i) { counts[i] += n; });
    });
    var first = counts.findIndex(function (n) { return n > 0; });
    var last = counts.length - 1 - counts.slice().reverse().findIndex(function (n) { return n > 0; });
    if (first < 0) { first = 4; last = 12; }
    first = Math.max(0, first - 1); last = Math.min(counts.length - 1, last + 1);
    var shown = counts.slice(first, last + 1), total = counts.reduce(function (a, b) { return a + b; }, 0);
    var maxY = Math.max(1, Math.max.apply(null, shown));
    var f = frame(svg, 0, function () { return ""; });
    var bw = f.plotW / shown.length;
    var label = function (i) { var b = bounds[first + i]; return b === null ? "+Inf" : "≤" + ms(b); };
    f = frame(svg, maxY, function (v) { return Math.round(v); },
      [[f.x0, label(0), "start"], [f.x0 + f.plotW, label(shown.length - 1), "end"]]);
    shown.forEach(function (n, i) {
      if (!n) return;
      var h = (n / maxY) * f.plotH;
      var bar = svgEl("rect", { x: f.x0 + i * bw + 1, y: f.y0 - h, width: Math.max(1, bw - 2), height: h, "class": "sd-bar" });
      var title = svgEl("title", {});
      title.textContent = label(i) + ": " + n;
      bar.appendChild(title);
      svg.appendChild(bar);
    });
    svg.setAttribute("data-total", total);
  }

  function fillTables(doc) {
    var body = $("sd-endpoints"), names = Object.keys(doc.endpoints);
    clear(body);
    names.sort(function (a, b) { return doc.endpoints[b].count - doc.endpoints[a].count; });
    names.forEach(function (name) {
      var e = doc.endpoints[name];
      var status = Object.keys(e.status).map(function (c) { return c + " " + e.status[c]; }).join(" · ");
      body.appendChild(el("tr", { "data-endpoint": name }, [
        el("td", {}, [el("code", {}, [name])]),
        el("td", { "class": "pb-num sd-count" }, [num(e.count)]),
        el("td", { "class": "pb-num" + (e.errors ? " sd-err" : "") }, [num(e.errors)]),
        el("td", { "class": "pb-num" }, [e.seconds.toFixed(3) + " s"]),
        el("td", { "class": "pb-num" }, [ms(e.mean)]),
        el("td", { "class": "pb-num" }, [ms(e.p50)]),
        el("td", { "class": "pb-num" }, [ms(e.p95)]),
        el("td", { "class": "pb-num" }, [ms(e.p99)]),
        el("td", { "class": "sd-status" }, [status])
      ]));
    });
    if (!names.length) body.appendChild(el("tr", {}, [el("td", { colspan: 9, "class": "pb-muted" }, ["No requests yet."])]));

    var collectors = Object.keys(doc.stats).filter(function (k) { return k !== "request_time" && k !== "request_count"; });
    var head = $("sd-collectors-head"), cbody = $("sd-collectors");
    clear(head); clear(cbody);
    if (collectors.length) {
      head.appendChild(el("tr", {}, [el("th", { scope: "col" }, ["Endpoint"])].concat(collectors.map(function (c) {
        var failed = doc.collector_failures[c];
        return el("th", { scope: "col", "class": "pb-num" }, [c + (failed ? " (" + failed + " failed)" : "")]);
      }))));
      var eps = {};
      collectors.forEach(function (c) { Object.keys(doc.stats[c]).forEach(function (n) { eps[n] = true; }); });
      Object.keys(eps).sort().forEach(function (n) {
        cbody.appendChild(el("tr", {}, [el("td", {}, [el("code", {}, [n])])].concat(collectors.map(function (c) {
          var v = doc.stats[c][n];
          return el("td", { "class": "pb-num" }, [v === undefined ? "–" : num(Math.round(v * 1000) / 1000)]);
        }))));
      });
    } else {
      cbody.appendChild(el("tr", {}, [el("td", { "class": "pb-muted" }, ["No collectors registered."])]));
    }

    var slow = $("sd-slowest");
    clear(slow);
    doc.slowest.forEach(function (s) {
      slow.appendChild(el("tr", {}, [
        el("td", { "class": "pb-num" }, [ms(s.seconds)]),
        el("td", {}, [el("code", {}, [s.method + " " + s.path])]),
        el("td", {}, [el("code", {}, [s.endpoint])]),
        el("td", { "class": "pb-num" + (s.status >= 500 ? " sd-err" : "") }, [s.status]),
        el("td", {}, [clock(s.at)])
      ]));
    });
    if (!doc.slowest.length) slow.appendChild(el("tr", {}, [el("td", { colspan: 5, "class": "pb-muted" }, ["None yet."])]));
  }

  function tiles(doc) {
    var total = 0, errors = 0, hist = null;
    Object.keys(doc.endpoints).forEach(function (n) {
      var e = doc.endpoints[n];
      total += e.count; errors += e.errors;
    });
    $("sd-total").textContent = num(total);
    $("sd-errors").textContent = num(errors);
    var pts = doc.series.points.filter(function (p) { return p.count; });
    var lastPoint = pts.length ? pts[pts.length - 1] : null;
    ["p50", "p95", "p99"].forEach(function (k) { $("sd-" + k).textContent = lastPoint ? ms(lastPoint[k]) : "–"; });
    return hist;
  }

  function render(doc) {
    var s = doc.series.interval;
    Array.prototype.forEach.call(document.querySelectorAll(".sd-interval"), function (n) { n.textContent = s + " s"; });
    tiles(doc);
    drawTraffic(doc.series);
    drawLatency(doc.series);
    drawHistogram(doc);
    fillTables(doc);
    var store = doc.store, alert = $("sd-alert");
    $("sd-store").textContent = store.kind + " store";
    if (store.kind === "redis" && !store.reachable) {
      alert.hidden = false;
      alert.textContent = "Redis is unreachable (" + (store.error || "no answer") + "): these are this process's figures only.";
    } else {
      alert.hidden = true;
    }
    $("sd-updated").textContent = "updated " + clock(doc.generated);
    root.setAttribute("data-loaded", "true");
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(render)
      .catch(function (err) {
        var alert = $("sd-alert");
        alert.hidden = false;
        alert.textContent = "Could not load the figures: " + err.message;
      })
      .then(function () { setTimeout(poll, refresh); });
  }
  poll();
})();
