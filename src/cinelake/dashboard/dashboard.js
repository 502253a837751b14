/* cinelake dashboard: vanilla JS, hand-written SVG charts, no network.
 * Data comes from <script type="application/json" id="cinelake-data">. Untrusted strings
 * (titles, names) only ever reach the DOM through textContent / setAttribute. */
(function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";
  var DATA = JSON.parse(document.getElementById("cinelake-data").textContent || "{}");
  var META = DATA.meta || {};

  // ------------------------------------------------------------------ data
  function list(v) {
    if (Array.isArray(v)) return v.filter(function (x) { return typeof x === "string" && x.trim(); })
      .map(function (x) { return x.trim(); });
    if (typeof v === "string") return list(v.split(", "));
    return [];
  }
  function num(v) { return typeof v === "number" && isFinite(v) ? v : null; }
  function uniq(a) { return a.filter(function (x, i) { return a.indexOf(x) === i; }); }

  var MOVIES = (DATA.movies || []).map(function (m, i) {
    return {
      rank: num(m.rank) || i + 1,
      imdb_id: typeof m.imdb_id === "string" ? m.imdb_id : "",
      title: m.title == null ? "(untitled)" : String(m.title),
      year: num(m.year),
      imdb_rating: num(m.imdb_rating),
      imdb_votes: num(m.imdb_votes),
      metascore: num(m.metascore),
      rotten_tomatoes: num(m.rotten_tomatoes),
      runtime_minutes: num(m.runtime_minutes),
      box_office_usd: num(m.box_office_usd),
      oscar_wins: num(m.oscar_wins),
      oscar_nominations: num(m.oscar_nominations),
      award_wins: num(m.award_wins),
      award_nominations: num(m.award_nominations),
      genres: uniq(list(m.genres)),
      countries: uniq(list(m.countries)),
      directors: uniq(list(m.directors))
    };
  });

  // ------------------------------------------------------------------ formatting
  var nf0 = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
  var nf1 = new Intl.NumberFormat("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  var nf2 = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  var compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });
  function fmtInt(v) { return v == null ? "—" : nf0.format(v); }
  function fmt1(v) { return v == null ? "—" : nf1.format(v); }
  function fmt2(v) { return v == null ? "—" : nf2.format(v); }
  function fmtMoney(v) { return v == null ? "—" : "$" + compact.format(v); }
  function fmtCompact(v) { return v == null ? "—" : compact.format(v); }
  function plural(n, one, many) { return fmtInt(n) + " " + (n === 1 ? one : many); }

  // ------------------------------------------------------------------ aggregation
  function known(values) { return values.filter(function (v) { return v != null; }); }
  function sum(values) { return known(values).reduce(function (a, b) { return a + b; }, 0); }
  function mean(values) {
    var k = known(values);
    return k.length ? Math.round((sum(k) / k.length) * 100) / 100 : null;
  }
  function pick(ms, key) { return ms.map(function (m) { return m[key]; }); }

  function byRanking(a, b) {
    // same order as gold top_rated: rating desc, votes desc (nulls last), then source order
    function cmp(x, y) {
      if (x == null && y == null) return 0;
      if (x == null) return 1;
      if (y == null) return -1;
      return y - x;
    }
    return cmp(a.imdb_rating, b.imdb_rating) || cmp(a.imdb_votes, b.imdb_votes) || a.rank - b.rank;
  }

  function groupBy(ms, key) {
    var groups = new Map();
    ms.forEach(function (m) {
      m[key].forEach(function (item) {
        if (!groups.has(item)) groups.set(item, []);
        groups.get(item).push(m);
      });
    });
    return Array.from(groups, function (e) {
      var movies = e[1];
      return {
        name: e[0],
        movie_count: movies.length,
        avg_imdb_rating: mean(pick(movies, "imdb_rating")),
        avg_runtime_minutes: mean(pick(movies, "runtime_minutes")),
        total_box_office_usd: sum(pick(movies, "box_office_usd")),
        movies_with_box_office: known(pick(movies, "box_office_usd")).length
      };
    }).sort(function (a, b) {
      return b.movie_count - a.movie_count ||
        (b.avg_imdb_rating == null ? -1 : b.avg_imdb_rating) -
        (a.avg_imdb_rating == null ? -1 : a.avg_imdb_rating) ||
        (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    });
  }

  function byYear(ms) {
    var years = new Map();
    ms.forEach(function (m) {
      if (m.year == null) return;
      if (!years.has(m.year)) years.set(m.year, []);
      years.get(m.year).push(m);
    });
    return Array.from(years, function (e) {
      var movies = e[1];
      var withBox = known(pick(movies, "box_office_usd"));
      return {
        year: e[0],
        movie_count: movies.length,
        avg_imdb_rating: mean(pick(movies, "imdb_rating")),
        total_box_office_usd: sum(withBox),
        movies_with_box_office: withBox.length
      };
    }).sort(function (a, b) { return a.year - b.year; });
  }

  function pearson(ms, xk, yk, scaleX) {
    var xs = [], ys = [];
    ms.forEach(function (m) {
      if (m[xk] != null && m[yk] != null) { xs.push(m[xk] * (scaleX || 1)); ys.push(m[yk]); }
    });
    var n = xs.length;
    if (n < 2) return { r: null, n: n };
    var mx = sum(xs) / n, my = sum(ys) / n, sxy = 0, sxx = 0, syy = 0;
    for (var i = 0; i < n; i++) {
      sxy += (xs[i] - mx) * (ys[i] - my);
      sxx += (xs[i] - mx) * (xs[i] - mx);
      syy += (ys[i] - my) * (ys[i] - my);
    }
    if (sxx <= 0 || syy <= 0) return { r: null, n: n };
    return { r: Math.round((sxy / Math.sqrt(sxx * syy)) * 10000) / 10000, n: n };
  }

  // ------------------------------------------------------------------ DOM helpers
  function el(tag, attrs, parent, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text != null) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }
  function svg(tag, attrs, parent, text) {
    var node = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text != null) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }
  function tooltip(node, text) { svg("title", {}, node, text); return node; }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function fitText(node, text, maxWidth) {
    node.textContent = text;
    if (node.getComputedTextLength() <= maxWidth) return;
    var lo = 0, hi = text.length;
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      node.textContent = text.slice(0, mid) + "…";
      if (node.getComputedTextLength() <= maxWidth) lo = mid; else hi = mid - 1;
    }
    node.textContent = text.slice(0, lo) + "…";
  }
  function niceStep(max, count) {
    var raw = max / Math.max(1, count), mag = Math.pow(10, Math.floor(Math.log10(raw || 1)));
    var n = raw / mag;
    return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 2.5 ? 2.5 : n <= 5 ? 5 : 10) * mag;
  }
  function ticks(lo, hi, count, integer) {
    var step = niceStep(hi - lo, count), out = [];
    if (integer) step = Math.max(1, Math.round(step));
    for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
      out.push(Math.round(v * 1e6) / 1e6);
    }
    return out;
  }
  function emptyChart(container, message) {
    clear(container);
    el("div", { "class": "empty" }, container, message);
  }
  function newSvg(container, name, width, height, label) {
    clear(container);
    var s = svg("svg", {
      "data-chart": name, viewBox: "0 0 " + width + " " + height, width: width, height: height,
      role: "img", "aria-label": label
    }, container);
    return s;
  }
  function widthOf(container) { return Math.max(280, Math.floor(container.clientWidth || 560)); }

  // ------------------------------------------------------------------ charts
  /* Horizontal bars: rows = [{label, value, title, sub?}] */
  function hbar(container, name, rows, opts) {
    if (!rows.length) return emptyChart(container, opts.empty || "No data");
    var W = widthOf(container), rowH = opts.rowH || 26, top = 4, axisH = 24;
    var labelW = Math.min(opts.labelW || 190, Math.round(W * 0.36));
    var valueW = opts.valueW || 56;
    var H = top + rows.length * rowH + axisH;
    var s = newSvg(container, name, W, H, opts.label);
    var max = opts.max || Math.max.apply(null, rows.map(function (r) {
      return Math.max(r.value, r.back || 0);
    })) || 1;
    var plotW = W - labelW - valueW;
    var tk = ticks(0, max, Math.max(2, Math.floor(plotW / 90)), opts.integer);
    max = Math.max(max, tk[tk.length - 1]);
    function x(v) { return labelW + (v / max) * plotW; }
    var axis = svg("g", { "class": "axis" }, s);
    tk.forEach(function (t) {
      svg("line", { "class": "grid-line", x1: x(t), x2: x(t), y1: top, y2: H - axisH + 4 }, axis);
      svg("text", { x: x(t), y: H - 6, "text-anchor": "middle" }, axis, (opts.tick || fmtCompact)(t));
    });
    rows.forEach(function (r, i) {
      var y = top + i * rowH, g = svg("g", { "class": "row" }, s);
      tooltip(g, r.title);
      var label = svg("text", { x: labelW - 10, y: y + rowH / 2 + 4, "text-anchor": "end" }, g);
      fitText(label, r.label, labelW - 14);
      if (r.back != null) {
        svg("rect", { x: labelW, y: y + 4, width: Math.max(0, x(r.back) - labelW),
          height: rowH - 8, rx: 4, fill: opts.backColor || "#e2e8f0" }, g);
      }
      svg("rect", { "class": "mark", x: labelW, y: y + 4, width: r.value > 0 ? Math.max(2, x(r.value) - labelW) : 0,
        height: rowH - 8, rx: 4, fill: opts.color }, g);
      svg("text", { "class": "value-label", x: x(Math.max(r.value, r.back || 0)) + 6,
        y: y + rowH / 2 + 4 }, g, r.valueLabel != null ? r.valueLabel : fmtInt(r.value));
    });
    svg("line", { "class": "base-line", x1: labelW, x2: labelW, y1: top, y2: H - axisH + 4 }, s);
  }

  /* Lollipop of ratings on a truncated but labelled axis (bars would all look alike). */
  function lollipop(container, name, rows, opts) {
    if (!rows.length) return emptyChart(container, opts.empty || "No data");
    var W = widthOf(container), rowH = 26, top = 4, axisH = 24;
    var labelW = Math.min(230, Math.round(W * 0.42)), right = 44;
    var H = top + rows.length * rowH + axisH;
    var s = newSvg(container, name, W, H, opts.label);
    var minV = Math.min.apply(null, rows.map(function (r) { return r.value; }));
    var lo = Math.max(0, Math.floor(minV - 0.5)), hi = 10;
    var plotW = W - labelW - right;
    function x(v) { return labelW + ((v - lo) / (hi - lo)) * plotW; }
    var axis = svg("g", { "class": "axis" }, s);
    ticks(lo, hi, Math.max(2, Math.floor(plotW / 60))).forEach(function (t) {
      svg("line", { "class": "grid-line", x1: x(t), x2: x(t), y1: top, y2: H - axisH + 4 }, axis);
      svg("text", { x: x(t), y: H - 6, "text-anchor": "middle" }, axis, String(t));
    });
    rows.forEach(function (r, i) {
      var cy = top + i * rowH + rowH / 2, g = svg("g", { "class": "row" }, s);
      tooltip(g, r.title);
      var label = svg("text", { x: labelW - 12, y: cy + 4, "text-anchor": "end" }, g);
      fitText(label, r.label, labelW - 16);
      svg("line", { "class": "stem", x1: x(lo), x2: x(r.value), y1: cy, y2: cy }, g);
      svg("circle", { "class": "mark", cx: x(r.value), cy: cy, r: 7, fill: "var(--imdb)",
        stroke: "#a16207", "stroke-width": 1.2 }, g);
      svg("text", { "class": "value-label", x: x(r.value) + 12, y: cy + 4 }, g, fmt1(r.value));
    });
  }

  /* Vertical bars over a continuous year axis: rows = [{year, value, title}] */
  function yearBars(container, name, rows, opts) {
    if (!rows.length) return emptyChart(container, opts.empty || "No data");
    var W = widthOf(container), H = opts.height || 240, left = 52, right = 10, top = 10, bottom = 26;
    var s = newSvg(container, name, W, H, opts.label);
    var y0 = rows[0].year, y1 = rows[rows.length - 1].year;
    if (y1 - y0 < 9) { var pad = Math.floor((9 - (y1 - y0)) / 2); y0 -= pad; y1 = y0 + 9; }
    var slots = y1 - y0 + 1, plotW = W - left - right, plotH = H - top - bottom;
    var band = plotW / slots;
    var max = Math.max.apply(null, rows.map(function (r) { return r.value; })) || 1;
    var tk = ticks(0, max, 4, opts.integer);
    max = Math.max(max, tk[tk.length - 1]);
    function y(v) { return top + plotH - (v / max) * plotH; }
    var axis = svg("g", { "class": "axis" }, s);
    tk.forEach(function (t) {
      svg("line", { "class": "grid-line", x1: left, x2: W - right, y1: y(t), y2: y(t) }, axis);
      svg("text", { x: left - 8, y: y(t) + 4, "text-anchor": "end" }, axis, (opts.tick || fmtCompact)(t));
    });
    var every = slots > 60 ? 20 : slots > 24 ? 10 : slots > 12 ? 5 : 2;
    for (var yr = Math.ceil(y0 / every) * every; yr <= y1; yr += every) {
      var cx = left + (yr - y0 + 0.5) * band;
      svg("line", { "class": "base-line", x1: cx, x2: cx, y1: top + plotH, y2: top + plotH + 4 }, axis);
      svg("text", { x: cx, y: H - 8, "text-anchor": "middle" }, axis, String(yr));
    }
    var gap = band > 6 ? Math.min(3, band * 0.2) : 0.5;
    rows.forEach(function (r) {
      var bx = left + (r.year - y0) * band + gap / 2;
      var rect = svg("rect", { "class": "mark", x: bx, y: y(r.value), width: Math.max(1, band - gap),
        height: Math.max(1, top + plotH - y(r.value)), rx: Math.min(3, band / 3), fill: opts.color }, s);
      tooltip(rect, r.title);
    });
    svg("line", { "class": "base-line", x1: left, x2: W - right, y1: top + plotH, y2: top + plotH }, s);
  }

  /* Scatter: x = IMDb x10, y = critics score; two series. */
  function scatter(container, name, ms, opts) {
    var pts = [];
    ms.forEach(function (m) {
      if (m.imdb_rating == null) return;
      var x = Math.round(m.imdb_rating * 1000) / 100;
      var base = m.title + (m.year ? " (" + m.year + ")" : "") + " — IMDb " + fmt1(x);
      if (m.metascore != null) pts.push({ x: x, y: m.metascore, c: "var(--meta)", t: base + " · Metascore " + m.metascore });
      if (m.rotten_tomatoes != null) pts.push({ x: x, y: m.rotten_tomatoes, c: "var(--rt)", t: base + " · Rotten Tomatoes " + m.rotten_tomatoes + "%" });
    });
    if (!pts.length) return emptyChart(container, opts.empty || "No movie has both ratings");
    var W = widthOf(container), H = Math.min(360, Math.max(260, Math.round(W * 0.62)));
    var left = 40, right = 12, top = 10, bottom = 38;
    var s = newSvg(container, name, W, H, opts.label);
    var xs = pts.map(function (p) { return p.x; });
    var xlo = Math.max(0, Math.floor((Math.min.apply(null, xs) - 2) / 5) * 5);
    var xhi = Math.min(100, Math.ceil((Math.max.apply(null, xs) + 2) / 5) * 5);
    if (xhi - xlo < 10) { xlo = Math.max(0, xhi - 10); }
    var ys = pts.map(function (p) { return p.y; });
    var ylo = Math.max(0, Math.floor((Math.min.apply(null, ys) - 5) / 10) * 10), yhi = 100;
    if (yhi - ylo < 20) ylo = yhi - 20;
    var plotW = W - left - right, plotH = H - top - bottom;
    function x(v) { return left + ((v - xlo) / (xhi - xlo)) * plotW; }
    function y(v) { return top + plotH - ((v - ylo) / (yhi - ylo)) * plotH; }
    var axis = svg("g", { "class": "axis" }, s);
    ticks(ylo, yhi, Math.max(2, Math.floor(plotH / 45))).forEach(function (t) {
      svg("line", { "class": "grid-line", x1: left, x2: W - right, y1: y(t), y2: y(t) }, axis);
      svg("text", { x: left - 8, y: y(t) + 4, "text-anchor": "end" }, axis, String(t));
    });
    ticks(xlo, xhi, Math.max(2, Math.floor(plotW / 70))).forEach(function (t) {
      svg("line", { "class": "grid-line", x1: x(t), x2: x(t), y1: top, y2: top + plotH }, axis);
      svg("text", { x: x(t), y: top + plotH + 16, "text-anchor": "middle" }, axis, String(t));
    });
    svg("text", { x: left + plotW / 2, y: H - 4, "text-anchor": "middle" }, axis, "IMDb rating × 10");
    var lo = Math.max(xlo, ylo), hi = Math.min(xhi, yhi);
    if (hi > lo) svg("line", { "class": "ref-line", x1: x(lo), y1: y(lo), x2: x(hi), y2: y(hi) }, s);
    svg("line", { "class": "base-line", x1: left, x2: W - right, y1: top + plotH, y2: top + plotH }, s);
    pts.forEach(function (p) {
      tooltip(svg("circle", { "class": "mark", cx: x(p.x), cy: y(p.y), r: 4.5, fill: p.c,
        "fill-opacity": 0.72, stroke: "#fff", "stroke-width": 1 }, s), p.t);
    });
  }

  // ------------------------------------------------------------------ filters
  var YEARS = known(pick(MOVIES, "year"));
  var MIN_YEAR = YEARS.length ? Math.min.apply(null, YEARS) : null;
  var MAX_YEAR = YEARS.length ? Math.max.apply(null, YEARS) : null;
  var state = { from: MIN_YEAR, to: MAX_YEAR, genre: "", country: "", director: "" };
  var $ = function (id) { return document.getElementById(id); };

  function fillSelect(select, key, allLabel) {
    var counts = new Map();
    MOVIES.forEach(function (m) { m[key].forEach(function (v) { counts.set(v, (counts.get(v) || 0) + 1); }); });
    clear(select);
    el("option", { value: "" }, select, allLabel);
    Array.from(counts.keys()).sort(function (a, b) { return a.localeCompare(b); }).forEach(function (v) {
      el("option", { value: v }, select, v + " (" + counts.get(v) + ")");
    });
  }

  function yearFilterActive() {
    return MIN_YEAR != null && (state.from > MIN_YEAR || state.to < MAX_YEAR);
  }

  function filtered() {
    var yearOn = yearFilterActive();
    return MOVIES.filter(function (m) {
      if (yearOn && (m.year == null || m.year < state.from || m.year > state.to)) return false;
      if (state.genre && m.genres.indexOf(state.genre) < 0) return false;
      if (state.country && m.countries.indexOf(state.country) < 0) return false;
      if (state.director && m.directors.indexOf(state.director) < 0) return false;
      return true;
    });
  }

  function describeFilters() {
    var parts = [];
    if (yearFilterActive()) parts.push("Years " + state.from + "–" + state.to);
    if (state.genre) parts.push("Genre: " + state.genre);
    if (state.country) parts.push("Country: " + state.country);
    if (state.director) parts.push("Director: " + state.director);
    return parts;
  }

  function readYears() {
    var f = parseInt($("filter-year-from").value, 10), t = parseInt($("filter-year-to").value, 10);
    f = isNaN(f) ? MIN_YEAR : Math.min(Math.max(f, MIN_YEAR), MAX_YEAR);
    t = isNaN(t) ? MAX_YEAR : Math.min(Math.max(t, MIN_YEAR), MAX_YEAR);
    if (f > t) { var x = f; f = t; t = x; }
    state.from = f; state.to = t;
  }

  // ------------------------------------------------------------------ rendering
  function kpi(parent, key, label, value, sub, raw, accent, wide) {
    var card = el("div", { "class": "panel kpi" + (wide ? " wide" : ""), "data-kpi": key }, parent);
    if (accent) card.style.setProperty("--accent", accent);
    el("div", { "class": "label" }, card, label);
    var v = el("div", { "class": "value" }, card, value);
    if (raw != null) v.setAttribute("data-value", String(raw));
    v.title = value;
    el("div", { "class": "sub" }, card, sub || "\u00a0");
  }

  function renderKpis(ms) {
    var box = $("kpis");
    clear(box);
    var top = ms.slice().sort(byRanking)[0];
    var years = known(pick(ms, "year"));
    var withBox = known(pick(ms, "box_office_usd")).length;
    var oscars = sum(pick(ms, "oscar_wins")), noms = sum(pick(ms, "oscar_nominations"));
    var avgR = mean(pick(ms, "imdb_rating"));
    kpi(box, "movies", "Movies", fmtInt(ms.length),
      MOVIES.length === ms.length ? "in today's snapshot" : "of " + fmtInt(MOVIES.length) + " in the snapshot",
      ms.length, "var(--primary)");
    kpi(box, "avg_imdb_rating", "Avg IMDb rating", fmt2(avgR), "out of 10", avgR, "var(--imdb)");
    var avgM = mean(pick(ms, "metascore")), avgT = mean(pick(ms, "rotten_tomatoes"));
    kpi(box, "avg_metascore", "Avg Metascore", fmt1(avgM), "out of 100", avgM, "var(--meta)");
    kpi(box, "avg_rotten_tomatoes", "Avg Rotten Tomatoes", avgT == null ? "—" : fmt1(avgT) + "%",
      "critics score", avgT, "var(--rt)");
    var totalBox = sum(pick(ms, "box_office_usd"));
    kpi(box, "total_box_office_usd", "US box office", fmtMoney(totalBox),
      fmtInt(withBox) + " with a known gross", totalBox, "var(--money)");
    kpi(box, "oscar_wins", "Oscars won", fmtInt(oscars), fmtInt(noms) + " nominations", oscars, "var(--gold)");
    var aw = sum(pick(ms, "award_wins"));
    kpi(box, "total_award_wins", "Other awards", fmtInt(aw),
      fmtInt(sum(pick(ms, "award_nominations"))) + " nominations", aw, "var(--violet)");
    var avgRt = mean(pick(ms, "runtime_minutes"));
    kpi(box, "years", "Release years", years.length ? Math.min.apply(null, years) + "–" + Math.max.apply(null, years) : "—",
      avgRt == null ? "" : "avg runtime " + fmtInt(avgRt) + " min", null, "var(--teal)");
    kpi(box, "top_movie_title", "Top rated", top ? top.title : "—",
      top ? "IMDb " + fmt1(top.imdb_rating) + (top.year ? " · " + top.year : "") +
        (top.directors.length ? " · " + top.directors.join(", ") : "") : "", null, "var(--imdb)", true);
  }

  function renderCorrelations(ms) {
    var box = $("correlations");
    clear(box);
    [["imdb_vs_metacritic", "IMDb ↔ Metacritic", "imdb_rating", "metascore", 10],
     ["imdb_vs_rotten_tomatoes", "IMDb ↔ Rotten Tomatoes", "imdb_rating", "rotten_tomatoes", 10],
     ["metacritic_vs_rotten_tomatoes", "Metacritic ↔ Rotten Tomatoes", "metascore", "rotten_tomatoes", 1]
    ].forEach(function (p) {
      var c = pearson(ms, p[2], p[3], p[4]);
      var chip = el("span", { "class": "chip", "data-pair": p[0] }, box);
      chip.title = "Pearson correlation over " + plural(c.n, "movie", "movies") + " with both ratings";
      el("span", {}, chip, p[1] + "  r = ");
      el("strong", {}, chip, c.r == null ? "n/a" : c.r.toFixed(2));
      el("span", {}, chip, "  (n=" + c.n + ")");
    });
  }

  function renderTable(ms) {
    var wrap = $("movie-table");
    clear(wrap);
    if (!ms.length) { el("div", { "class": "empty" }, wrap, "No movies match these filters"); return; }
    var table = el("table", {}, wrap), head = el("tr", {}, el("thead", {}, table));
    [["#", "num"], ["Title", ""], ["Genres", ""], ["Director", ""], ["IMDb", "num"], ["Votes", "num"],
     ["Meta", "num"], ["RT", "num"], ["Box office", "num"], ["Oscars", "num"]].forEach(function (h) {
      el("th", { "class": h[1] }, head, h[0]);
    });
    var body = el("tbody", {}, table);
    ms.slice().sort(byRanking).forEach(function (m) {
      var tr = el("tr", {}, body);
      el("td", { "class": "num muted" }, tr, String(m.rank));
      var td = el("td", { "class": "title" }, tr);
      if (/^tt\d{7,9}$/.test(m.imdb_id)) {
        el("a", { href: "https://www.imdb.com/title/" + m.imdb_id + "/", target: "_blank", rel: "noopener noreferrer" }, td, m.title);
      } else {
        el("span", {}, td, m.title);
      }
      if (m.year) el("span", { "class": "year" }, td, String(m.year));
      var g = el("td", {}, tr);
      m.genres.forEach(function (x) { el("span", { "class": "pill" }, g, x); });
      el("td", { "class": "muted" }, tr, m.directors.join(", "));
      var r = el("td", { "class": "num" }, tr);
      el("span", { "class": "rating" }, r, fmt1(m.imdb_rating));
      el("td", { "class": "num muted" }, tr, fmtCompact(m.imdb_votes));
      el("td", { "class": "num" }, tr, m.metascore == null ? "—" : String(m.metascore));
      el("td", { "class": "num" }, tr, m.rotten_tomatoes == null ? "—" : m.rotten_tomatoes + "%");
      el("td", { "class": "num" }, tr, fmtMoney(m.box_office_usd));
      el("td", { "class": "num" }, tr, m.oscar_wins == null ? "—" : String(m.oscar_wins));
    });
    $("table-hint").textContent = plural(ms.length, "movie", "movies") + ", best rated first · click a title for IMDb";
  }

  function chart(name) { return document.querySelector('[data-chart-for="' + name + '"]'); }

  function renderCharts(ms) {
    var none = "No movies match these filters";
    var rated = ms.filter(function (m) { return m.imdb_rating != null; }).sort(byRanking).slice(0, 15);
    lollipop(chart("top_rated"), "top_rated", rated.map(function (m) {
      return { label: m.title, value: m.imdb_rating,
        title: "#" + m.rank + " " + m.title + (m.year ? " (" + m.year + ")" : "") + " — IMDb " +
          fmt1(m.imdb_rating) + " · " + fmtInt(m.imdb_votes) + " votes" };
    }), { label: "Top rated movies", empty: ms.length ? "No movie has an IMDb rating" : none });

    scatter(chart("ratings_comparison"), "ratings_comparison", ms,
      { label: "IMDb vs critics", empty: ms.length ? "No movie has both ratings" : none });
    renderCorrelations(ms);

    var years = byYear(ms);
    yearBars(chart("movies_by_year"), "movies_by_year", years.map(function (r) {
      return { year: r.year, value: r.movie_count,
        title: r.year + ": " + plural(r.movie_count, "movie", "movies") + " · avg IMDb " + fmt2(r.avg_imdb_rating) };
    }), { label: "Movies by release year", color: "var(--primary)", tick: fmtInt, integer: true, empty: none });

    var boxYears = years.filter(function (r) { return r.movies_with_box_office > 0; });
    yearBars(chart("box_office_by_year"), "box_office_by_year", boxYears.map(function (r) {
      return { year: r.year, value: r.total_box_office_usd,
        title: r.year + ": " + fmtMoney(r.total_box_office_usd) + " from " +
          plural(r.movies_with_box_office, "movie", "movies") };
    }), { label: "Box office by release year", color: "var(--money)", tick: fmtMoney,
      empty: ms.length ? "No known box office" : none });

    hbar(chart("movies_by_genre"), "movies_by_genre", groupBy(ms, "genres").slice(0, 16).map(function (g) {
      return { label: g.name, value: g.movie_count,
        title: g.name + ": " + plural(g.movie_count, "movie", "movies") + " · avg IMDb " +
          fmt2(g.avg_imdb_rating) + " · avg runtime " + fmtInt(g.avg_runtime_minutes) + " min · box office " +
          fmtMoney(g.total_box_office_usd) };
    }), { label: "Movies by genre", color: "var(--primary)", tick: fmtInt, integer: true, labelW: 130, empty: none });

    hbar(chart("top_directors"), "top_directors", groupBy(ms, "directors").slice(0, 12).map(function (d) {
      return { label: d.name, value: d.movie_count, valueLabel: d.movie_count + "  ·  ★ " + fmt1(d.avg_imdb_rating),
        title: d.name + ": " + plural(d.movie_count, "movie", "movies") + " · avg IMDb " + fmt2(d.avg_imdb_rating) };
    }), { label: "Top directors", color: "var(--violet)", tick: fmtInt, integer: true, valueW: 84, empty: none });

    hbar(chart("movies_by_country"), "movies_by_country", groupBy(ms, "countries").slice(0, 12).map(function (c) {
      return { label: c.name, value: c.movie_count,
        title: c.name + ": " + plural(c.movie_count, "movie", "movies") + " · avg IMDb " + fmt2(c.avg_imdb_rating) };
    }), { label: "Movies by country", color: "var(--teal)", tick: fmtInt, integer: true, empty: none });

    var awarded = ms.filter(function (m) { return (m.oscar_wins || 0) > 0 || (m.oscar_nominations || 0) > 0; })
      .sort(function (a, b) {
        return (b.oscar_wins || 0) - (a.oscar_wins || 0) ||
          (b.oscar_nominations || 0) - (a.oscar_nominations || 0) || byRanking(a, b);
      }).slice(0, 12);
    hbar(chart("awards_summary"), "awards_summary", awarded.map(function (m) {
      // "Won 11 Oscars." says nothing of nominations: a film cannot win more than it was
      // nominated for, so fewer nominations than wins means "not known", never "11 / 0".
      var w = m.oscar_wins || 0, n = m.oscar_nominations || 0, known = n >= w;
      return { label: m.title, value: w, back: Math.max(n, w),
        valueLabel: known ? w + " / " + n : w + " won",
        title: m.title + (m.year ? " (" + m.year + ")" : "") + ": " + plural(w, "Oscar", "Oscars") +
          (known ? " won of " + plural(n, "nomination", "nominations") : " won (nominations not known)") +
          " · " + fmtInt(m.award_wins) + " other wins" };
    }), { label: "Oscars won and nominations", color: "var(--gold)", backColor: "var(--gold-soft)",
      tick: fmtInt, integer: true, valueW: 64, empty: ms.length ? "No Oscar nominations among these movies" : none });
  }

  function render() {
    var ms = filtered();
    var count = $("movie-count");
    count.textContent = "Showing " + fmtInt(ms.length) + " of " + plural(MOVIES.length, "movie", "movies");
    count.setAttribute("data-shown", String(ms.length));
    count.setAttribute("data-total", String(MOVIES.length));
    var parts = describeFilters(), active = $("active-filters");
    active.textContent = parts.length ? parts.join(" · ") : "No filter: all movies";
    active.className = parts.length ? "on" : "";
    renderKpis(ms);
    renderCharts(ms);
    renderTable(ms);
  }

  // The page embeds the best-ranked movies only (render.py DETAIL_MOVIES): say so when gold has more.
  function showSubset() {
    var total = num(DATA.movies_total), note = $("subset-note");
    if (total == null || total <= MOVIES.length) return;
    note.textContent = "Showing the top " + fmtInt(MOVIES.length) + " of " + plural(total, "movie", "movies") +
      " by rank: the figures, charts, filters and table cover these; gold holds all " + fmtInt(total);
    note.setAttribute("data-shown", String(MOVIES.length));
    note.setAttribute("data-total", String(total));
    note.hidden = false;
  }

  function init() {
    $("snapshot-date").textContent = META.snapshot_date || "—";
    $("snapshot-freshness").textContent = META.freshness || "";
    $("generated-at").textContent = META.generated_at_display || META.generated_at || "—";
    var sources = DATA.datasets || {};
    var names = Object.keys(sources);
    $("footer-sources").textContent = names.length
      ? "Built from the gold datasets " + names.map(function (n) { return n + " (" + sources[n] + " rows)"; }).join(", ") + "."
      : "Built without gold datasets.";
    initHistory();
    initQuality();
    showSubset();
    if (!MOVIES.length) {
      document.body.classList.add("is-empty");
      $("no-data").hidden = false;
      $("filters").hidden = true;
      $("charts").hidden = true;
      var count = $("movie-count");
      count.setAttribute("data-shown", "0");
      count.setAttribute("data-total", "0");
      renderKpis([]);
      return;
    }
    fillSelect($("filter-genre"), "genres", "All genres");
    fillSelect($("filter-country"), "countries", "All countries");
    fillSelect($("filter-director"), "directors", "All directors");
    ["filter-year-from", "filter-year-to"].forEach(function (id) {
      var input = $(id);
      input.min = MIN_YEAR == null ? "" : String(MIN_YEAR);
      input.max = MAX_YEAR == null ? "" : String(MAX_YEAR);
      input.disabled = MIN_YEAR == null;
      input.addEventListener("change", function () { readYears(); syncInputs(); render(); });
    });
    [["filter-genre", "genre"], ["filter-country", "country"], ["filter-director", "director"]].forEach(function (p) {
      $(p[0]).addEventListener("change", function (e) { state[p[1]] = e.target.value; render(); });
    });
    $("filter-reset").addEventListener("click", function () {
      state = { from: MIN_YEAR, to: MAX_YEAR, genre: "", country: "", director: "" };
      syncInputs();
      render();
    });
    syncInputs();
    render();
    var pending = null, lastWidth = window.innerWidth;
    window.addEventListener("resize", function () {
      if (window.innerWidth === lastWidth) return;
      lastWidth = window.innerWidth;
      clearTimeout(pending);
      pending = setTimeout(function () { renderCharts(filtered()); }, 120);
    });
  }

  // ------------------------------------------------------------------ history
  /* DATA.history (see render.py): dates = the window of snapshot dates, oldest first; days[j] =
   * that date's movers (counts, new, exited, top climbers/fallers as indices into movies);
   * entries = [date, movie, rank] of every "new" row in and just before the window; movies[i] =
   * {imdb_id, title, from, ranks}: ranks of dates[from], dates[from + 1], ... (null = not listed). */
  var H = DATA.history && Array.isArray(DATA.history.dates) && DATA.history.dates.length &&
    Array.isArray(DATA.history.movies) ? DATA.history : null;
  var hstate = { day: H ? H.dates.length - 1 : -1, movie: H && H.movies.length ? 0 : -1 };

  function hMovie(i) { return (H && H.movies[i]) || { imdb_id: "", title: null, from: 0, ranks: [] }; }
  function hTitle(i) { var t = hMovie(i).title; return t == null ? "(untitled)" : String(t); }
  function rankAt(i, j) {
    var m = hMovie(i), k = j - (m.from || 0);
    return Array.isArray(m.ranks) && k >= 0 && k < m.ranks.length ? num(m.ranks[k]) : null;
  }
  function daysBetween(a, b) {
    return Math.round((Date.parse(b + "T00:00:00Z") - Date.parse(a + "T00:00:00Z")) / 86400000);
  }
  function rk(v) { return v == null ? "—" : "#" + fmtInt(v); }

  function opensTrajectory(node, i) {
    node.setAttribute("role", "button");
    node.setAttribute("tabindex", "0");
    node.title = hTitle(i) + " — show its rank trajectory";
    node.addEventListener("click", function () { pickMovie(i); });
    node.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); pickMovie(i); }
    });
  }

  function moverList(parent, key, heading, items, describe, total) {
    var box = el("div", { "data-movers": key }, parent);
    var shown = items.length;
    el("h3", {}, box, heading + " (" + fmtInt(total) + ")" +
      (total > shown ? " · top " + fmtInt(shown) : ""));
    if (!shown) { el("div", { "class": "none" }, box, "none"); return; }
    var ol = el("ol", {}, box);
    items.forEach(function (e) {
      var li = el("li", { "data-movie": String(e[0]) }, ol);
      opensTrajectory(el("span", { "class": "t" }, li, hTitle(e[0])), e[0]);
      describe(el("span", { "class": "n" }, li), e);
    });
  }

  function renderMovers() {
    var day = H.days[hstate.day] || {}, counts = $("movers-counts"), lists = $("movers-lists");
    clear(counts);
    clear(lists);
    $("movers-panel").setAttribute("data-date", day.date || "");
    if (!day.counts) {
      $("movers-hint").textContent = "The lake has no movers dataset for " + (day.date || "this date") + ".";
      return;
    }
    var c = day.counts;
    $("movers-hint").textContent = day.previous
      ? day.date + " against the previous snapshot, " + day.previous + " · ranks from the list of each day"
      : day.date + " is the first snapshot in the lake: " + plural(c["new"], "movie", "movies") +
        ", nothing earlier to compare with";
    [["new", "new"], ["up", "up"], ["down", "down"], ["same", "unchanged"], ["exited", "exited"]]
      .forEach(function (p) {
        var chip = el("span", { "class": "chip", "data-status": p[0], "data-count": String(c[p[0]] || 0) }, counts);
        el("strong", {}, chip, fmtInt(c[p[0]] || 0));
        el("span", {}, chip, " " + p[1]);
      });
    if (!day.previous) return;
    moverList(lists, "new", "New entries", day["new"] || [], function (n, e) {
      n.textContent = "in at " + rk(e[1]);
    }, c["new"]);
    moverList(lists, "exited", "Exits", day.exited || [], function (n, e) {
      n.textContent = "was " + rk(e[1]);
    }, c.exited);
    function moved(cls) {
      return function (n, e) {
        el("span", {}, n, rk(e[2]) + " → " + rk(e[1]) + " ");
        el("span", { "class": cls }, n, (e[3] > 0 ? "+" : "") + fmtInt(e[3]));
      };
    }
    moverList(lists, "up", "Biggest climbers", day.up || [], moved("delta-up"), c.up);
    moverList(lists, "down", "Biggest fallers", day.down || [], moved("delta-down"), c.down);
  }

  function renderEntered() {
    var chosen = H.dates[hstate.day], span = num(H.entered_days) || 30, wrap = $("entered-list");
    clear(wrap);
    var rows = (H.entries || []).filter(function (e) {
      var d = daysBetween(e[0], chosen);
      return d >= 0 && d < span;
    }).sort(function (a, b) { return a[0] < b[0] ? 1 : a[0] > b[0] ? -1 : (a[2] || 0) - (b[2] || 0); });
    $("entered-title").textContent = "Entered in the last " + span + " days";
    var cap = num(H.listed_per_day), perDay = {}, capped = false;
    rows.forEach(function (e) { perDay[e[0]] = (perDay[e[0]] || 0) + 1; if (cap && perDay[e[0]] >= cap) capped = true; });
    $("entered-hint").textContent = plural(rows.length, "entry", "entries") + " in the " + span +
      " days up to " + chosen + " · a movie that left and came back counts again" +
      (capped ? " · at most " + fmtInt(cap) + " listed per day, best rank first" : "");
    wrap.setAttribute("data-count", String(rows.length));
    if (!rows.length) { el("div", { "class": "empty" }, wrap, "No movie entered in these " + span + " days"); return; }
    var table = el("table", {}, wrap), head = el("tr", {}, el("thead", {}, table));
    [["Entered", ""], ["Title", ""], ["In at", "num"], ["On " + chosen, "num"]].forEach(function (h) {
      el("th", { "class": h[1] }, head, h[0]);
    });
    var body = el("tbody", {}, table);
    rows.forEach(function (e) {
      var tr = el("tr", { "data-movie": String(e[1]) }, body);
      el("td", { "class": "muted nowrap" }, tr, e[0]);
      var td = el("td", { "class": "title" }, tr);
      opensTrajectory(el("span", { "class": "pick" }, td, hTitle(e[1])), e[1]);
      el("td", { "class": "num" }, tr, rk(e[2]));
      var now = rankAt(e[1], hstate.day);
      el("td", { "class": "num" }, tr, now == null ? "out" : rk(now));
    });
  }

  function trajectory(container, i) {
    var dates = H.dates, n = dates.length, pts = [];
    for (var j = 0; j < n; j++) {
      var r = rankAt(i, j);
      if (r != null) pts.push({ j: j, r: r });
    }
    if (i < 0) return emptyChart(container, "Pick a movie");
    if (hMovie(i).ranks === null) return emptyChart(container, "Rank trajectory not embedded in this page");
    if (!pts.length) return emptyChart(container, "Not in the list in these " + plural(n, "snapshot", "snapshots"));
    var W = widthOf(container), Ht = 280, left = 52, right = 18, top = 14, bottom = 30;
    var s = newSvg(container, "rank_trajectory", W, Ht, "Rank of " + hTitle(i) + " over time");
    var plotW = W - left - right, plotH = Ht - top - bottom;
    var worst = Math.max.apply(null, pts.map(function (p) { return p.r; }));
    var tk = ticks(0, Math.max(worst, 2), 4, true).filter(function (t) { return t >= 1; });
    if (tk[0] !== 1) tk.unshift(1);
    var maxR = Math.max(worst, tk[tk.length - 1]);
    function x(jj) { return left + (n === 1 ? plotW / 2 : (jj / (n - 1)) * plotW); }
    function y(rr) { return top + ((rr - 1) / Math.max(1, maxR - 1)) * plotH; } // #1 on top
    var axis = svg("g", { "class": "axis" }, s);
    tk.forEach(function (t) {
      svg("line", { "class": "grid-line", x1: left, x2: W - right, y1: y(t), y2: y(t) }, axis);
      svg("text", { x: left - 8, y: y(t) + 4, "text-anchor": "end" }, axis, "#" + t);
    });
    var every = Math.max(1, Math.ceil(n / Math.max(2, Math.floor(plotW / 110))));
    for (var k = 0; k < n; k += every) {
      svg("text", { x: x(k), y: Ht - 8, "text-anchor": k === 0 ? "start" : "middle" }, axis, dates[k]);
    }
    svg("line", { "class": "chosen-line", x1: x(hstate.day), x2: x(hstate.day), y1: top, y2: top + plotH }, s);
    var d = "", runs = 0;
    pts.forEach(function (p, q) {
      var joined = q > 0 && pts[q - 1].j === p.j - 1;
      if (!joined) runs++;
      d += (joined ? "L" : "M") + x(p.j).toFixed(1) + " " + y(p.r).toFixed(1);
    });
    svg("path", { "class": "traj-line", d: d }, s);
    s.setAttribute("data-points", String(pts.length));
    s.setAttribute("data-runs", String(runs));
    pts.forEach(function (p) {
      tooltip(svg("circle", { "class": "mark", "data-date": dates[p.j], cx: x(p.j), cy: y(p.r),
        r: p.j === hstate.day ? 5 : n > 120 ? 2 : 3, fill: p.j === hstate.day ? "var(--imdb)" : "var(--primary)" }, s),
        hTitle(i) + " — " + dates[p.j] + ": " + rk(p.r));
    });
    return { points: pts.length, runs: runs, best: Math.min.apply(null, pts.map(function (p) { return p.r; })) };
  }

  function renderTrajectory() {
    var i = hstate.movie, info = trajectory(chart("rank_trajectory"), i);
    var hint = $("trajectory-hint");
    if (!info && i >= 0 && hMovie(i).ranks === null) {
      hint.textContent = "The page keeps the rank trajectories of the " + fmtInt(num(H.trajectories) || 0) +
        " best-ranked movies of this window only; " + hTitle(i) + " is not one of them";
      return;
    }
    if (!info) { hint.textContent = i < 0 ? "No movie to show" : hTitle(i) + " was not in the list in this window"; return; }
    var n = H.dates.length, now = rankAt(i, hstate.day);
    hint.textContent = hTitle(i) + ": in the list on " + fmtInt(info.points) + " of " + plural(n, "snapshot", "snapshots") +
      " · best " + rk(info.best) + " · " + (now == null ? "not in the list" : rk(now)) + " on " + H.dates[hstate.day] +
      (info.runs > 1 ? " · left and came back " + plural(info.runs - 1, "time", "times") : "") +
      " · gaps are days out of the list";
  }

  function fillMovieSelect() {
    var q = $("trajectory-search").value.trim().toLowerCase(), sel = $("trajectory-movie"), first = -1, keep = false;
    clear(sel);
    H.movies.forEach(function (m, i) {
      var t = hTitle(i);
      if (q && t.toLowerCase().indexOf(q) < 0 && String(m.imdb_id).toLowerCase().indexOf(q) < 0) return;
      if (first < 0) first = i;
      if (i === hstate.movie) keep = true;
      var now = rankAt(i, H.dates.length - 1);
      el("option", { value: String(i) }, sel, t + (now == null ? " · not in the latest list" : " · " + rk(now)));
    });
    if (!keep && first >= 0) hstate.movie = first;
    sel.value = String(hstate.movie);
    return !keep && first >= 0;
  }

  function pickMovie(i) {
    hstate.movie = i;
    $("trajectory-search").value = "";
    fillMovieSelect();
    renderTrajectory();
  }

  function initHistory() {
    if (!H) {
      $("history").classList.add("is-empty");  // the note in the bar says why
      return;
    }
    var n = H.dates.length, total = num(H.snapshot_count) || n;
    $("history-panels").hidden = false;
    $("history-date-field").hidden = false;
    $("history-note").textContent = (total > n
      ? "Showing the last " + fmtInt(n) + " of " + fmtInt(total) + " snapshots"
      : plural(n, "snapshot", "snapshots")) + " (" + H.dates[0] + " – " + H.dates[n - 1] +
      ") · pick a date to see what changed that day; the charts below show the latest snapshot" +
      (num(H.movies_in_window) > num(H.trajectories)
        ? " · rank trajectories of the top " + fmtInt(H.trajectories) + " of " + fmtInt(H.movies_in_window) + " movies"
        : "");
    var sel = $("history-date");
    for (var j = n - 1; j >= 0; j--) el("option", { value: H.dates[j] }, sel, H.dates[j]);
    sel.value = H.dates[hstate.day];
    sel.addEventListener("change", function () {
      var j = H.dates.indexOf(sel.value);
      if (j < 0) return;
      hstate.day = j;
      renderMovers();
      renderEntered();
      renderTrajectory();
    });
    $("trajectory-search").addEventListener("input", function () {
      if (fillMovieSelect()) renderTrajectory();
    });
    $("trajectory-movie").addEventListener("change", function (e) {
      hstate.movie = parseInt(e.target.value, 10);
      renderTrajectory();
    });
    fillMovieSelect();
    renderMovers();
    renderEntered();
    renderTrajectory();
    var lastWidth = window.innerWidth, pending = null;
    window.addEventListener("resize", function () {
      if (window.innerWidth === lastWidth) return;
      lastWidth = window.innerWidth;
      clearTimeout(pending);
      pending = setTimeout(renderTrajectory, 120);
    });
  }

  function syncInputs() {
    $("filter-year-from").value = state.from == null ? "" : String(state.from);
    $("filter-year-to").value = state.to == null ? "" : String(state.to);
    $("filter-genre").value = state.genre;
    $("filter-country").value = state.country;
    $("filter-director").value = state.director;
  }

  // Data quality: the latest verdict, its failing checks, one square per snapshot.
  function initQuality() {
    var Q = DATA.quality;
    if (!Q) {
      $("quality").classList.add("is-empty");
      return;
    }
    var status = String(Q.status || "");
    $("quality-verdict").hidden = false;
    var badge = $("quality-status");
    badge.textContent = status;
    badge.setAttribute("data-status", status);
    $("quality-date").textContent = "snapshot " + (Q.snapshot_date || "—");
    var failing = Q.failing || [];
    $("quality-note").textContent = failing.length
      ? plural(failing.length, "check", "checks") + " did not pass:"
      : "Every check passed.";
    var ul = $("quality-failing");
    clear(ul);
    failing.forEach(function (c) {
      var li = el("li", { "data-status": String(c.status) }, ul);
      el("strong", {}, li, String(c.check));
      el("span", {}, li, " " + String(c.value) + " (" + String(c.status) + ": " +
        String(c.direction || "past") + " " + String(c.threshold) + ")");
    });
    var trend = $("quality-trend");
    clear(trend);
    var shown = (Q.trend || []).length, total = num(Q.snapshot_count) || shown;
    $("quality-trend-note").textContent = "Verdict per snapshot, oldest first" +
      (total > shown ? " (the last " + shown + " of " + total + ")" : " (" + plural(shown, "snapshot", "snapshots") + ")");
    (Q.trend || []).forEach(function (t) {
      var cell = el("span", { "class": "quality-day", role: "listitem", "data-status": String(t[1]) }, trend);
      cell.title = String(t[0]) + ": " + String(t[1]);
    });
  }

  init();
})();
