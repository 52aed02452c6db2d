// The client-side view of kexue.viz.probe_view: impact matrix, segmentation and tree of one sentence, one
// layer at a time, drawn as SVG from the JSON in the view's <script type="application/json">. No library,
// no request: it runs in a static page as in Jupyter or Colab.
function kexueProbeView(root) {
  if (!root || root.dataset.ready) return;
  root.dataset.ready = "1";
  const data = JSON.parse(root.querySelector('script[type="application/json"]').textContent);
  const SVG = "http://www.w3.org/2000/svg";
  const node = (ns, tag, attrs, parent, text) => {
    const e = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  };
  const svg = (tag, attrs, parent, text) => node(SVG, tag, attrs, parent, text);
  const div = (attrs, parent, text) => node(null, "div", attrs, parent, text);
  const fmt = (v) => (v === null || v === undefined ? "–" : Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(3));
  const state = {level: "characters", layer: 0, decoder: "su", position: null};
  state.layer = data.start;

  // -- layout: controls, then three panels -------------------------------------------------------------
  root.style.cssText = "position:relative;font:14px sans-serif;margin:0.5em 0 1em";
  node(null, "div", {class: "title", style: "font-weight:bold;margin-bottom:4px"}, root, data.title);
  const bar = div({class: "controls", style: "display:flex;flex-wrap:wrap;gap:14px;align-items:center"}, root);
  const label = (text, parent) => node(null, "label", {style: "display:flex;gap:6px;align-items:center"}, parent, text);
  const levelMenu = node(null, "select", {class: "level"}, label("units", bar));
  for (const name of Object.keys(data.levels)) node(null, "option", {value: name}, levelMenu, name);
  const layerBox = label("layer", bar);
  const layerSlider = node(null, "input", {type: "range", class: "layer", min: 0, max: data.layers.length - 1,
                                           step: 1, value: state.layer}, layerBox);
  const layerText = node(null, "span", {class: "layer-value", style: "min-width:2em"}, layerBox);
  const thresholdBox = label("threshold", bar);
  const thresholdSlider = node(null, "input", {type: "range", class: "threshold", min: 0, max: 1000, step: 1},
                               thresholdBox);
  const thresholdText = node(null, "span", {class: "threshold-value", style: "min-width:4em"}, thresholdBox);
  const decoderMenu = node(null, "select", {class: "decoder"}, label("tree", bar));
  for (const [key, name] of Object.entries(data.decoders)) node(null, "option", {value: key}, decoderMenu, name);
  const panels = div({style: "display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start;margin-top:8px"}, root);
  const caption = (parent, text) => div({style: "color:#666;font-size:12px;margin-bottom:2px"}, parent, text);
  const heatPanel = div({}, panels), segPanel = div({style: "max-width:100%;overflow-x:auto"}, panels);
  caption(heatPanel, "impact f(x_i, x_j): row i measured, column j masked too (darker: larger)");
  caption(segPanel, "s_i between neighbours: blue joined, red cut; dashed line: the threshold");
  const heatBox = div({class: "heat"}, heatPanel), segBox = div({class: "segmentation"}, segPanel);
  const treePanel = div({style: "width:100%;overflow-x:auto;margin-top:6px"}, root);
  caption(treePanel, "the tree of the chosen decoder at this layer: hover a node or an arc for its numbers");
  const treeBox = div({class: "tree"}, treePanel);
  const tip = div({class: "kexue-tooltip", style: "position:absolute;display:none;pointer-events:none;z-index:10;" +
                   "background:#222;color:#fff;padding:3px 7px;border-radius:4px;font-size:12px;white-space:nowrap"},
                  root);
  const hover = (element, text) => {
    element.setAttribute("data-label", text);
    element.addEventListener("mouseenter", () => { tip.textContent = text; tip.style.display = "block"; });
    element.addEventListener("mousemove", (event) => {
      const box = root.getBoundingClientRect();
      tip.style.left = (event.clientX - box.left + 12) + "px";
      tip.style.top = (event.clientY - box.top + 12) + "px";
    });
    element.addEventListener("mouseleave", () => { tip.style.display = "none"; });
  };

  // -- the thresholds of the current layer ----------------------------------------------------------------
  const scores = () => data.scores[state.layer];
  const range = () => {
    const finite = scores().filter((v) => v !== null);
    const lo = finite.length ? Math.min(...finite) : 0, hi = finite.length ? Math.max(...finite) : 1;
    return [lo, hi > lo ? hi : lo + 1];
  };
  const threshold = () => { const [lo, hi] = range(); return lo + (hi - lo) * state.position / 1000; };
  const startPosition = () => {
    const [lo, hi] = range(), given = data.thresholds[state.layer];
    const sorted = scores().filter((v) => v !== null).sort((a, b) => a - b);
    const t = given !== null ? given : sorted.length ? sorted[Math.floor(sorted.length / 2)] : lo;
    return Math.round(1000 * Math.min(1, Math.max(0, (t - lo) / (hi - lo))));
  };

  // -- the heat map ----------------------------------------------------------------------------------------
  function drawHeat() {
    heatBox.textContent = "";
    const level = data.levels[state.level], units = level.units, f = level.impact[state.layer];
    const n = units.length, cell = Math.max(12, Math.min(30, 340 / n)), pad = 8 * Math.max(...units.map((u) => u.length)) + 18;
    const top = Math.max(...level.impact.flat(2).filter((v) => v !== null), 1e-12);
    const s = svg("svg", {width: pad + n * cell + 4, height: pad + n * cell + 4, class: "heat-svg"}, heatBox);
    units.forEach((u, i) => {
      svg("text", {x: pad - 4, y: pad + (i + 0.7) * cell, "text-anchor": "end", "font-size": 12}, s, u);
      svg("text", {x: pad + (i + 0.5) * cell, y: pad - 6, "text-anchor": "middle", "font-size": 12}, s, u);
    });
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      const value = f[i][j];
      const shade = i === j || value === null ? 1 : 1 - 0.85 * Math.min(1, value / top);
      const r = svg("rect", {x: pad + j * cell, y: pad + i * cell, width: cell - 1, height: cell - 1, class: "heat-cell",
                             fill: `rgb(${Math.round(40 + 215 * shade)},${Math.round(90 + 165 * shade)},${Math.round(170 + 85 * shade)})`}, s);
      if (i !== j) hover(r, `impact of ${units[j]} on ${units[i]}: f = ${fmt(value)} (layer ${data.layers[state.layer]})`);
    }
  }

  // -- the segmentation -------------------------------------------------------------------------------------
  const spans = (words) => { let at = 0; return words.map((w) => [at, at += w.length]); };
  function wordF1(pred, gold) {
    const g = new Set(spans(gold).map(String)), hit = spans(pred).filter((s) => g.has(String(s))).length;
    const p = hit / pred.length, r = hit / gold.length;
    return [p, r, p + r ? 2 * p * r / (p + r) : 0];
  }
  function wordRow(name, words, against) {
    const row = div({class: "seg-row", style: "margin:2px 0;line-height:1.9"}, segBox);
    node(null, "span", {style: "display:inline-block;width:6.5em;color:#666"}, row, name);
    const other = against ? new Set(spans(against).map(String)) : null;
    spans(words).forEach((span, k) => {
      const ok = other === null ? null : other.has(String(span));
      const colour = ok === null ? "#e8eef7;border-color:#8ea6c8" : ok ? "#dcf1dc;border-color:#2e7d32" : "#fde0dc;border-color:#c62828";
      if (k) node(null, "span", {style: "color:#999;margin:0 2px"}, row, "/");
      node(null, "span", {class: "seg-word", style: `background:${colour};border:1px solid;border-radius:4px;padding:1px 4px`},
           row, words[k]);
    });
  }
  function drawSegmentation() {
    segBox.textContent = "";
    const units = data.levels.characters.units, s = scores(), t = threshold();
    const w = 26, height = 110, [lo, hi] = range(), y = (v) => height - 8 - (height - 20) * (v - Math.min(0, lo)) / (hi - Math.min(0, lo));
    const chart = svg("svg", {width: units.length * w + 10, height: height + 22, class: "seg-svg"}, segBox);
    s.forEach((v, i) => {
      if (v === null) return;
      const bar = svg("rect", {x: (i + 1) * w, y: y(v), width: 12, height: Math.max(1, height - 8 - y(v)),
                               class: v >= t ? "seg-join" : "seg-cut", fill: v >= t ? "#4c78a8" : "#e45756"}, chart);
      hover(bar, `${units[i]}|${units[i + 1]}: s = ${fmt(v)}, ${v >= t ? "joined" : "cut"}`);
    });
    svg("line", {x1: 0, x2: units.length * w, y1: y(t), y2: y(t), stroke: "#222", "stroke-dasharray": "4 3"}, chart);
    units.forEach((u, i) => svg("text", {x: i * w + w / 2 + 6, y: height + 14, "text-anchor": "middle", "font-size": 13}, chart, u));
    const words = [];
    units.forEach((u, i) => { if (i && s[i - 1] !== null && s[i - 1] >= t) words[words.length - 1] += u; else words.push(u); });
    wordRow("ours", words, data.gold);
    if (data.gold) {
      wordRow("gold", data.gold, words);
      const [p, r, f] = wordF1(words, data.gold);
      div({class: "seg-f1", style: "color:#444;font-size:90%"}, segBox,
          `words: precision ${p.toFixed(2)} · recall ${r.toFixed(2)} · F1 ${f.toFixed(2)} at t = ${fmt(t)}`);
    }
    if (data.reference) wordRow(data.reference.label, data.reference.words, data.gold);
  }

  // -- the tree ----------------------------------------------------------------------------------------------
  function drawTree() {
    treeBox.textContent = "";
    const level = data.levels[state.level], units = level.units, tree = level.trees[state.layer][state.decoder];
    const w = Math.max(34, 14 * Math.max(...units.map((u) => u.length)) + 10);
    if (tree.arcs) {
      const top = Math.max(...tree.arcs.map((a) => a.level)), rise = 22, base = 26 + rise * top;
      const s = svg("svg", {width: (units.length + 1) * w + 10, height: base + 30, class: "tree-svg"}, treeBox);
      const defs = svg("defs", {}, s), marker = svg("marker", {id: root.id + "-arrow", viewBox: "0 0 10 10", refX: 9, refY: 5,
                                                               markerWidth: 7, markerHeight: 7, orient: "auto"}, defs);
      svg("path", {d: "M0,0 L10,5 L0,10 z", fill: "#34495e"}, marker);
      ["ROOT", ...units].forEach((u, d) => svg("text", {x: d * w + w / 2, y: base + 18, "text-anchor": "middle",
                                                       "font-size": d ? 14 : 11, fill: d ? "#222" : "#e45756"}, s, u));
      for (const a of tree.arcs) {
        const x1 = a.head * w + w / 2, x2 = a.dependent * w + w / 2, peak = base - rise * a.level;
        const d = `M${x1},${base} C${x1},${peak} ${x2},${peak} ${x2},${base}`;
        svg("path", {d, fill: "none", stroke: a.head ? "#34495e" : "#e45756", "stroke-width": 1.4,
                     "pointer-events": "none", "marker-end": `url(#${root.id}-arrow)`}, s);
        const hit = svg("path", {d, fill: "none", stroke: "transparent", "stroke-width": 9, "pointer-events": "stroke", class: "dep-arc"}, s);
        hover(hit, `head ${a.head ? units[a.head - 1] : "ROOT"} → dependent ${units[a.dependent - 1]}: score ${fmt(a.score)}`);
      }
      return;
    }
    const row = 34, height = row * (tree.depth + 1) + 24;
    const s = svg("svg", {width: units.length * w + 10, height, class: "tree-svg"}, treeBox);
    const at = (n) => [n.x * w + w / 2, n.depth * row + 14];
    for (const [parent, child] of tree.edges) {
      const [x1, y1] = at(tree.nodes[parent]);
      const [x2, y2] = typeof child === "string" ? [Number(child.split(":")[1]) * w + w / 2, tree.depth * row + 6]
                                                 : at(tree.nodes[child]);
      svg("line", {x1, y1, x2, y2, stroke: "#34495e", "stroke-width": 1.3}, s);
    }
    const scoreName = state.decoder === "mart" ? "cost" : "gain";
    for (const n of tree.nodes) {
      const [x, y] = at(n);
      const dot = svg("circle", {cx: x, cy: y, r: 6, fill: "#34495e", class: "tree-node"}, s);
      const split = n.split === null ? "" : ` · split before ${units[n.split]}, ${scoreName} ${fmt(n.score)}`;
      hover(dot, `${n.text} (units ${n.span[0] + 1}–${n.span[1]})${split}`);
    }
    tree.leaves.forEach((leaf) => svg("text", {x: leaf.x * w + w / 2, y: tree.depth * row + 22, "text-anchor": "middle",
                                               "font-size": 14, class: "tree-leaf"}, s, leaf.text));
  }

  function render() {
    tip.style.display = "none";  // its element is about to be redrawn
    layerText.textContent = data.layers[state.layer];
    thresholdSlider.value = state.position;
    thresholdText.textContent = fmt(threshold());
    drawHeat(); drawSegmentation(); drawTree();
  }
  levelMenu.addEventListener("change", () => { state.level = levelMenu.value; render(); });
  decoderMenu.addEventListener("change", () => { state.decoder = decoderMenu.value; render(); });
  layerSlider.addEventListener("input", () => { state.layer = Number(layerSlider.value); state.position = startPosition(); render(); });
  thresholdSlider.addEventListener("input", () => { state.position = Number(thresholdSlider.value); render(); });
  state.position = startPosition();
  render();
}
