// hubel's page: the HTML controls, the JS API (window.hubel) and the glue to
// hubel.wasm. The program calls the hubel* functions below to report; the
// page calls window.hubelGo.* (defined by the program) to command. Nothing
// here waits on the program: commands return at once, and results come
// back through hubelPublish / hubelSettle.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const embed = document.documentElement.classList.contains("embed");

  // ---- state reported by hubel.wasm --------------------------------------
  let current = { ready: false, running: false, paused: false, step: 0, steps: 0, objective: [], adapter: "",
    backend: "", error: null, errorKey: "", notice: "", stepsPerSec: 0, firstFrameMs: 0, cellsDone: 0, cellsTotal: 0,
    view: "image", hash: "", model: {} };
  let zoo = [], defaultModel = "", modelInfo = null, displayError = null;
  const dropped = new Set();
  const pending = new Map();
  let nextId = 1;
  let goReady = null;
  const whenGo = new Promise((resolve) => { goReady = resolve; });

  // ---- the JS API: a contract for embedding pages ------------------------
  window.hubel = {
    /** The render's state: {ready, running, step, steps, objective: [values so far, first image], adapter, backend, error, …}. */
    state() { return JSON.parse(JSON.stringify(current)); },
    /** Starts a render with config's keys (the URL-hash keys) over the current state; resolves with the state when the run ends, rejects with its error. */
    render(config = {}) {
      return new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        whenGo.then(() => window.hubelGo.start(toHash(config), true, id));
      });
    },
    pause() { whenGo.then(() => window.hubelGo.pause()); },
    resume() { whenGo.then(() => window.hubelGo.resume()); },
    reset() { whenGo.then(() => window.hubelGo.reset()); },
    /** Downloads the image (or the gallery's grid) as a PNG. */
    exportPNG() { whenGo.then(() => window.hubelGo.export("grid")); },
  };

  function toHash(config) {
    return Object.entries(config).filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => (v === true || (k === "embed" && v === "") ? k : `${encodeURIComponent(k)}=${encodeURIComponent(Array.isArray(v) ? v.join(";") : v)}`))
      .join("&");
  }
  function parseHash(h) {
    const out = {};
    for (const kv of h.replace(/^#/, "").split("&")) {
      if (!kv) continue;
      const i = kv.indexOf("=");
      const k = i < 0 ? kv : kv.slice(0, i);
      try { out[decodeURIComponent(k)] = i < 0 ? "" : decodeURIComponent(kv.slice(i + 1)); } catch { out[k] = kv.slice(i + 1); }
    }
    return out;
  }

  // ---- hooks hubel.wasm calls -------------------------------------------
  window.hubelReady = () => goReady();
  window.hubelPublish = (s) => {
    current = Object.assign({}, current, s, { objective: Array.from(s.objective || []) });
    if (current.firstFrameMs > 0 || current.error) registerWorker();
    if ((current.step > 0 || current.firstFrameMs > 0) && current.model && current.model.name !== cachedModel) { cachedModel = current.model.name; keepOffline(); }
    render();
  };
  let cachedModel = null;
  // registerWorker registers the service worker (offline copies) once the
  // first frame is drawn or the page has failed: on a first visit, its
  // install (which fetches the app's files) and its handling of every
  // request would otherwise compete with the page's own loading. The files
  // fetched before it took control are handed to it by keepOffline.
  let workerRegistered = false;
  function registerWorker() {
    if (workerRegistered || !("serviceWorker" in navigator) || location.protocol === "file:") return;
    workerRegistered = true;
    navigator.serviceWorker.register("sw.js").catch((e) => console.log("hubel: no service worker:", e));
  }
  // keepOffline asks the service worker to keep the model files this page
  // fetched (before the worker controlled it, they did not pass through it).
  function keepOffline() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.ready.then((reg) => {
      // The page's own fetches and prefetch.js's worker's.
      const urls = performance.getEntriesByType("resource").filter((e) => !e.responseStatus || e.responseStatus === 200 || e.responseStatus === 404)
        .map((e) => e.name)
        .concat((window.hubelPrefetchTimes || []).filter((t) => t.status === 200 || t.status === 404).map((t) => t.url))
        .filter((u) => /\/models\/.+|tfjs-models/.test(u));
      if (reg.active && urls.length) reg.active.postMessage({ cache: urls });
    });
  }
  window.hubelSettle = (id, err) => {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    if (err) p.reject(new Error(err)); else p.resolve(window.hubel.state());
  };
  window.hubelStatus = (msg) => { $("status").textContent = msg; };
  window.hubelZoo = (list, def) => { zoo = Array.from(list || []); defaultModel = def; fillModels(); };
  window.hubelModel = (m) => { modelInfo = m; fillLayers(); fillMethods(); syncControls(); loadExamples(m); };
  window.hubelDisplayError = (msg) => { displayError = msg; render(); };
  // The engine asks for the display (display.wasm: ebiten's canvas, the
  // curve, the progress bar) once it has shown its first image on its
  // placeholder canvas: ebiten's start-up would have held that image back.
  let displayStarted = false;
  window.hubelStartDisplay = () => {
    if (displayStarted) return;
    displayStarted = true;
    (async () => {
      try {
        const go = new Go();
        const { instance } = await hubelInstantiate(go, "display.wasm");
        await go.run(instance);
        displayError = "display.wasm stopped; see the browser's console";
      } catch (e) {
        displayError = `Could not start display.wasm: ${e}`;
      }
      render();
    })();
  };
  window.hubelCells = (mode, cells) => placeCells(mode, Array.from(cells || []));
  window.hubelDownload = (bytes, nameOrErr) => {
    if (!bytes) { $("status").textContent = nameOrErr; return; }
    const url = URL.createObjectURL(new Blob([bytes], { type: "image/png" }));
    const a = Object.assign(document.createElement("a"), { href: url, download: nameOrErr });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  };

  // A lost GPU device: the program asks window.hubelDeviceLost when a run
  // fails, and reopens the device if it is set.
  if (window.GPUAdapter && GPUAdapter.prototype.requestDevice) {
    const orig = GPUAdapter.prototype.requestDevice;
    window.hubelDevices = [];
    GPUAdapter.prototype.requestDevice = async function (...args) {
      const d = await orig.apply(this, args);
      window.hubelDevices.push(d);
      // Each device keeps its own record (the program asks about the one
      // it opened, hubelDevices[i]), so a late lost promise of an old
      // device cannot mark a new one.
      d.lost.then((info) => {
        d.hubelLost = info.message || info.reason || "lost";
        if (window.hubelDevices[window.hubelDevices.length - 1] === d) window.hubelDeviceLost = d.hubelLost;
      });
      return d;
    };
  }

  // ebiten's canvas is decoration for assistive technology and keyboard
  // users (the HTML carries the controls): keep it out of the tab order.
  new MutationObserver(() => {
    for (const c of document.querySelectorAll("body > canvas")) {
      if (c.getAttribute("tabindex") !== "-1") { c.setAttribute("tabindex", "-1"); c.setAttribute("aria-hidden", "true"); }
    }
  }).observe(document.body, { childList: true });

  // ---- rendering the state into the page ---------------------------------
  const keyControl = { model: "model", url: "model-url", objective: "objective", steps: "steps", size: "size", batch: "batch",
    seed: "seed", lr: "lr", param: "param", transforms: "transforms", layer: "layer-search", channels: "channels", files: "drop",
    eps1: "eps1", eps2: "eps2", eps3: "eps3" };
  const fmt = (v) => (Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(3) : v.toFixed(4));

  function render() {
    const s = current;
    for (const id of Object.values(keyControl)) $(id) && $(id).removeAttribute("aria-invalid");
    const err = displayError || s.error;
    $("error").hidden = !err;
    if (err) {
      const key = s.errorKey;
      $("error-title").textContent = key === "gpu" ? "No WebGPU here" :
        key && keyControl[key] ? `The value of “${key}” is not usable` : "hubel could not render";
      $("error-text").textContent = err;
      if (key && keyControl[key] && $(keyControl[key])) $(keyControl[key]).setAttribute("aria-invalid", "true");
    }
    const done = s.steps > 0 && s.step >= s.steps && !s.running;
    let status;
    if (err) status = "Error";
    else if (!s.ready) status = "Starting…";
    else if (s.paused) status = `Paused at step ${s.step}`;
    else if (s.running && s.step === 0) status = s.view === "gallery" ? `Gallery: ${s.cellsDone} of ${s.cellsTotal} done, preparing…` : "Preparing the network…";
    else if (s.running) status = s.view === "gallery" ? `Gallery: ${s.cellsDone} of ${s.cellsTotal} done` : "Rendering…";
    else if (done) status = s.view === "gallery" ? `Gallery done: ${s.cellsTotal} channels` : "Done";
    else status = "Ready";
    if (s.notice) status += " — " + s.notice;
    $("status").textContent = status;
    $("start").textContent = s.running ? "Restart" : "Start";
    $("pause").disabled = !s.running;
    $("pause").textContent = s.paused ? "Resume" : "Pause";
    $("export").disabled = !(s.step > 0 || s.cellsDone > 0);
    $("st-step").textContent = s.steps ? `${s.step} / ${s.steps}` : "—";
    $("st-rate").textContent = s.stepsPerSec ? `${s.stepsPerSec.toFixed(s.stepsPerSec < 10 ? 2 : 1)} steps/s` : "—";
    $("st-adapter").textContent = s.adapter || (s.backend === "none" ? "no WebGPU" : "—");
    $("st-adapter").title = s.adapter || "";
    $("st-model").textContent = s.model && s.model.name ? `${s.model.name} (${s.model.where})` : "—";
    $("st-model").title = $("st-model").textContent;
    const obj = s.objective;
    // The methods view's captions give each method's value; the curves share its head.
    $("obj-value").textContent = s.view === "methods" ? "" : obj.length ? `${fmt(obj[0])} → ${fmt(obj[obj.length - 1])}` : "—";
    const pct = s.steps ? Math.round((100 * s.step) / s.steps) : 0;
    $("progress").setAttribute("aria-valuenow", String(pct));
    if (s.hash !== lastHash) { lastHash = s.hash; syncControls(); }
    $("embed-link").href = "embed.html#" + (s.hash || "");
    setCurveTitle(s.view);
    updateCaptions();
  }
  let lastHash = null;

  // The curve's head names what it plots: in the methods view a key of the
  // three curves, in the display's colours (stage.ColSeries, --series0–2).
  const seriesNames = ["pixel AM", "DGN-AM", "PPGN"];
  let curveView;
  function setCurveTitle(view) {
    if (view === curveView) return;
    curveView = view;
    const title = $("curve-title"), methods = view === "methods";
    title.replaceChildren(methods ? "Objective:" : "Objective", ...(methods ? seriesNames.map((name, i) => {
      const k = document.createElement("span");
      k.className = "key";
      k.style.setProperty("--c", `var(--series${i})`);
      k.textContent = name;
      return k;
    }) : []));
    $("curve").setAttribute("aria-label", methods ? "Each method's objective at each step" : "The objective at each step");
  }

  function updateCaptions() {
    const m = current.methods;
    for (const d of document.querySelectorAll("#cells .caption")) {
      const c = m && m.curves && m.curves[d.dataset.method];
      d.lastElementChild.textContent = c && c.length ? `${m.kind}:${m.class} = ${fmt(c[c.length - 1])}` : "";
    }
  }

  // The gallery's cells get focusable buttons over the canvas; the methods
  // view's get captions (the method and its objective's last value).
  const methodKeys = ["pixel", "dgn", "ppgn"];
  function placeCells(mode, cells) {
    const box = $("cells");
    if (mode === "methods") {
      box.replaceChildren(...cells.map((c, i) => {
        const d = document.createElement("div");
        d.className = "caption";
        d.dataset.method = methodKeys[i];
        Object.assign(d.style, { left: c.x + "px", top: c.y + "px", maxWidth: c.w + "px" });
        d.append(Object.assign(document.createElement("b"), { textContent: c.label }), document.createElement("span"));
        return d;
      }));
      updateCaptions();
      return;
    }
    if (mode !== "gallery") { box.replaceChildren(); return; }
    box.replaceChildren(...cells.map((c) => {
      const b = document.createElement("button");
      b.type = "button";
      Object.assign(b.style, { left: c.x + "px", top: c.y + "px", width: c.w + "px", height: c.h + "px" });
      b.setAttribute("aria-label", `Open ${c.label}`);
      const span = document.createElement("span");
      span.textContent = c.label.replace(/^.*:/, "#");
      b.append(span);
      b.addEventListener("click", () => {
        window.hubel.render({ view: "image", objective: c.label, batch: 1 }).catch(() => {});
      });
      return b;
    }));
  }

  // ---- dataset examples (bundled models ship examples.json and sprites) ----
  let examples = null;
  const sprites = new Map();
  async function loadExamples(m) {
    examples = null;
    $("examples").hidden = true;
    updateExtras();
    if (!m.base) return;
    try {
      const r = await fetch(m.base + "examples.json");
      if (!r.ok) return;
      const ex = await r.json();
      if (modelInfo !== m) return;
      examples = ex;
      showExamples();
    } catch { /* no examples for this model */ }
  }
  // showExamples draws the K dataset images that excite the current
  // objective's unit most (the survey's "top 9"), beside the render.
  function showExamples() {
    if (!examples || !modelInfo) return;
    const spec = ($("objective").value || "").split(";")[0];
    let m, layer, unit;
    if ((m = /^(logit|softmax|logsoftmax):(\d+)$/.exec(spec))) [layer, unit] = [modelInfo.logits, +m[2]];
    else if ((m = /^([\w./]+):(\d+)(@\d+,\d+)?$/.exec(spec))) [layer, unit] = [m[1], +m[2]];
    const l = examples.layers.find((x) => x.name === layer);
    const show = !embed && !!l && unit < l.units;
    $("examples").hidden = !show;
    updateExtras();
    if (!show) return;
    $("examples-title").textContent = `${layer}:${unit} — the ${examples.k} ${examples.dataset} ${examples.split} images that excite it most`;
    const url = modelInfo.base + l.sprite;
    let img = sprites.get(url);
    if (!img) { img = new Image(); img.src = url; sprites.set(url, img); }
    const draw = () => {
      const T = examples.tile;
      $("examples-grid").replaceChildren(...Array.from({ length: examples.k }, (_, k) => {
        const c = document.createElement("canvas");
        c.width = c.height = T;
        c.getContext("2d").drawImage(img, k * T, unit * T, T, T, 0, 0, T, T);
        c.setAttribute("role", "img");
        c.setAttribute("aria-label", `test image ${l.index[unit][k]}, activation ${l.value[unit][k].toFixed(3)}`);
        c.title = `test image #${l.index[unit][k]} — activation ${l.value[unit][k].toFixed(3)}`;
        return c;
      }));
    };
    if (img.complete && img.naturalWidth) draw(); else img.onload = draw;
  }

  function updateExtras() { $("extras").hidden = embed || ($("examples").hidden && $("methods").hidden); }

  // ---- pixel AM vs DGN-AM vs PPGN (models that ship a generator) ---------
  const epsIds = ["eps1", "eps2", "eps3"];
  function fillMethods() {
    const m = modelInfo;
    $("methods").hidden = embed || !m || !m.generator;
    updateExtras();
    if (!m || !m.generator) return;
    const labels = m.labels || [];
    $("m-class").replaceChildren(...Array.from({ length: m.classes }, (_, k) => new Option(labels[k] && labels[k] !== String(k) ? `${k} — ${labels[k]}` : String(k), String(k))));
  }
  const classTerm = () => document.querySelector('input[name=classterm]:checked').value;
  function showEps() { for (const id of epsIds) $(id + "-v").textContent = $(id).value; }
  // compare starts the methods view with the panel's class, class term and
  // step sizes.
  function compare() {
    start({ view: "methods", objective: `${classTerm()}:${$("m-class").value || 0}`, batch: 1 });
  }
  for (const id of epsIds) {
    $(id).addEventListener("input", showEps);
    $(id).addEventListener("change", () => { if (current.view === "methods") compare(); });
  }
  for (const r of document.querySelectorAll("input[name=classterm]")) r.addEventListener("change", () => { if (current.view === "methods") compare(); });
  $("m-class").addEventListener("change", () => { if (current.view === "methods") compare(); });
  $("compare").addEventListener("click", compare);

  // ---- controls -----------------------------------------------------------
  function fillModels() {
    const sel = $("model");
    const opts = [];
    for (const e of zoo) {
      if (e.local || e.bundled) opts.push([`site:${e.name}`, `${e.title || e.name} — ${e.bundled ? "bundled" : "this site's copy"}`]);
      if (e.url) opts.push([`web:${e.name}`, `${e.title || e.name} — from ${new URL(e.url).host}`]);
    }
    for (const n of dropped) opts.push([`dropped:${n}`, `${n} — dropped files`]);
    opts.push(["custom", "Another URL…"]);
    sel.replaceChildren(...opts.map(([v, t]) => new Option(t, v)));
    syncControls();
  }

  function fillLayers() {
    const m = modelInfo;
    if (!m) return;
    $("model-info").textContent = `${m.name}: input ${m.input}, ${m.layers.length} layers` + (m.classes ? `, ${m.classes} classes` : "") + ` — from ${m.where}`;
    $("layer-count").textContent = `(${m.layers.length})`;
    filterLayers();
  }
  function filterLayers() {
    const m = modelInfo;
    if (!m) return;
    const q = $("layer-search").value.trim().toLowerCase();
    const sel = $("layer");
    const keep = sel.value;
    const list = m.layers.filter((l) => !q || l.name.toLowerCase().includes(q));
    sel.replaceChildren(...list.map((l) => new Option(`${l.name} · ${l.channels} ch`, l.name)));
    if (list.some((l) => l.name === keep)) sel.value = keep;
  }
  const layerInfo = (name) => (modelInfo ? modelInfo.layers.find((l) => l.name === name) : null);

  // The objective spec follows the pickers; a hand-edited spec wins.
  function specFromPickers() {
    const kind = $("kind").value, unit = Math.max(0, parseInt($("unit").value || "0", 10));
    const layer = $("layer").value;
    switch (kind) {
      case "channel": return `${layer}:${unit}`;
      case "neuron": {
        const l = layerInfo(layer);
        return l && l.width ? `${layer}:${unit}@${Math.floor(l.width / 2)},${Math.floor(l.height / 2)}` : `${layer}:${unit}`;
      }
      case "deepdream": return `deepdream:${layer}`;
      default: return `${kind}:${unit}`;
    }
  }
  function updateUnitHints() {
    const kind = $("kind").value;
    const cls = kind === "logit" || kind === "softmax" || kind === "logsoftmax";
    $("layer-row").hidden = cls;
    $("unit").disabled = kind === "deepdream";
    $("unit-label").textContent = cls ? "Class" : "Channel";
    const l = layerInfo($("layer").value);
    const n = cls ? (modelInfo && modelInfo.classes) : l && l.channels;
    $("unit").max = n ? n - 1 : "";
    $("unit-range").textContent = n ? `0 – ${n - 1}` : "";
    const labels = modelInfo && modelInfo.labels;
    $("class-name").textContent = cls && labels && labels[$("unit").value] ? `“${labels[$("unit").value]}”` : "";
  }
  function pickersChanged() {
    updateUnitHints();
    $("objective").value = specFromPickers();
    showExamples();
  }
  $("kind").addEventListener("change", pickersChanged);
  $("layer").addEventListener("change", pickersChanged);
  $("unit").addEventListener("input", pickersChanged);
  $("layer-search").addEventListener("input", filterLayers);
  $("layer-search").addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" || e.key === "Enter") {
      e.preventDefault();
      const sel = $("layer");
      if (sel.options.length) { if (sel.selectedIndex < 0) sel.selectedIndex = 0; sel.focus(); pickersChanged(); }
    }
  });
  $("model").addEventListener("change", () => {
    $("url-row").hidden = $("model").value !== "custom";
    if ($("model").value !== "custom") start({ objective: "" });
  });
  $("model-url").addEventListener("change", () => { if ($("model-url").value) start({ objective: "" }); });

  const regRe = /\s*([+-])\s*([0-9.eE+-]*)\s*\*?\s*(l1|l2|tv)\b/g;
  // Splits a spec's image penalties out into the regulariser fields.
  function splitRegs(spec) {
    const regs = { l1: 0, l2: 0, tv: 0 };
    const rest = spec.replace(regRe, (_, sign, w, k) => { if (sign === "-") regs[k] = parseFloat(w || "1"); return ""; });
    return [rest.trim(), regs];
  }

  // syncControls shows the current state (from the hash) in the controls.
  function syncControls() {
    const h = parseHash(current.hash || location.hash);
    const set = (id, v) => { if (v !== undefined && document.activeElement !== $(id)) $(id).value = v; };
    set("steps", h.steps || 512); set("size", h.size || 128); set("lr", h.lr || 0.05); set("seed", h.seed || 0);
    set("param", h.param || "fft"); set("batch", h.batch || 1); set("channels", h.channels || "");
    const tr = h.transforms || "lucid";
    if (![...$("transforms").options].some((o) => o.value === tr)) $("transforms").append(new Option(tr, tr));
    set("transforms", tr);
    // the model select
    const name = h.model || defaultModel;
    let v = "custom";
    const e = zoo.find((z) => z.name === name);
    if (h.url) v = e && e.url && e.url.replace(/\/$/, "") === h.url.replace(/\/$/, "") ? `web:${name}` : "custom";
    else if (dropped.has(name)) v = `dropped:${name}`;
    else if (e) v = e.local || e.bundled ? `site:${name}` : `web:${name}`;
    if ([...$("model").options].some((o) => o.value === v)) $("model").value = v;
    $("url-row").hidden = v !== "custom";
    if (v === "custom") set("model-url", h.url || "");
    // the objective and the pickers
    const [spec, regs] = splitRegs(h.objective || "");
    set("objective", spec);
    set("reg-l1", regs.l1); set("reg-l2", regs.l2); set("reg-tv", regs.tv);
    let m;
    const first = spec.split(";")[0];
    if ((m = /^([\w./]+):(\d+)(@\d+,\d+)?$/.exec(first)) && !/^(logit|softmax|logsoftmax)$/.test(m[1])) {
      $("kind").value = m[3] ? "neuron" : "channel"; selectLayer(m[1]); $("unit").value = m[2];
    } else if ((m = /^deepdream:([\w./]+)$/.exec(first))) {
      $("kind").value = "deepdream"; selectLayer(m[1]);
    } else if ((m = /^(logit|softmax|logsoftmax):(\d+)$/.exec(first))) {
      $("kind").value = m[1]; $("unit").value = m[2];
    }
    if (h.view === "gallery" && h.layer) selectLayer(h.layer);
    set("eps1", h.eps1 || 0.1); set("eps2", h.eps2 || 5); set("eps3", h.eps3 || 0.7);
    showEps();
    if ((m = /^(logit|softmax|logsoftmax):(\d+)$/.exec(first))) {
      for (const r of document.querySelectorAll("input[name=classterm]")) r.checked = r.value === m[1];
      if ([...$("m-class").options].some((o) => o.value === m[2])) $("m-class").value = m[2];
    }
    updateUnitHints();
    showExamples();
  }
  function selectLayer(name) {
    const sel = $("layer");
    if (![...sel.options].some((o) => o.value === name)) { $("layer-search").value = ""; filterLayers(); }
    sel.value = name;
  }

  // The state the controls describe, as hash keys.
  function controlsConfig() {
    const v = $("model").value;
    const cfg = {};
    if (v === "custom") { cfg.url = $("model-url").value.trim(); cfg.model = ""; }
    else {
      const [src, name] = [v.slice(0, v.indexOf(":")), v.slice(v.indexOf(":") + 1)];
      cfg.model = name;
      if (src === "web") cfg.url = zoo.find((z) => z.name === name).url;
    }
    let spec = $("objective").value.trim();
    const regs = [["l1", "reg-l1"], ["l2", "reg-l2"], ["tv", "reg-tv"]];
    if (spec) {
      spec = spec.split(";").map((s) => {
        let t = splitRegs(s)[0];
        for (const [k, id] of regs) { const w = parseFloat($(id).value); if (w > 0) t += `-${w}*${k}`; }
        return t;
      }).join(";");
    }
    Object.assign(cfg, {
      objective: spec, steps: $("steps").value, size: $("size").value, batch: $("batch").value, seed: $("seed").value,
      lr: $("lr").value, param: $("param").value, transforms: $("transforms").value,
      eps1: $("eps1").value, eps2: $("eps2").value, eps3: $("eps3").value,
    });
    return cfg;
  }

  function start(extra = {}) {
    const cfg = Object.assign(controlsConfig(), { view: "image" }, extra);
    for (const k of Object.keys(cfg)) if (cfg[k] === "" || cfg[k] === undefined) delete cfg[k];
    displayError = null;
    whenGo.then(() => {
      const id = nextId++;
      pending.set(id, { resolve() {}, reject() {} });
      window.hubelGo.start(toHash(cfg), false, id);
    });
  }

  $("start").addEventListener("click", () => start());
  $("pause").addEventListener("click", () => (current.paused ? window.hubel.resume() : window.hubel.pause()));
  $("reset").addEventListener("click", () => window.hubel.reset());
  $("export").addEventListener("click", () => window.hubel.exportPNG());
  $("reseed").addEventListener("click", () => { $("seed").value = Math.floor(Math.random() * 1e6); });
  $("gallery").addEventListener("click", () => {
    const layer = $("layer").value || (modelInfo && modelInfo.layers[0] && modelInfo.layers[0].name);
    start({ view: "gallery", layer, channels: $("channels").value.trim() || "all", objective: `${layer}:0` });
  });
  $("share").addEventListener("click", async () => {
    try { await navigator.clipboard.writeText(location.href); $("status").textContent = "Link copied"; }
    catch { $("status").textContent = location.href; }
  });
  $("controls").addEventListener("submit", (e) => { e.preventDefault(); start(); });
  document.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter") { e.preventDefault(); start(); }
  });
  window.addEventListener("hashchange", () => {
    displayError = null;
    whenGo.then(() => window.hubelGo.start(location.hash, false, 0));
  });

  // Drag and drop (or choose) model.json and its shards.
  const drop = $("drop");
  drop.addEventListener("click", () => $("files").click());
  drop.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); $("files").click(); } });
  for (const t of ["dragenter", "dragover"]) drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add("over"); });
  for (const t of ["dragleave", "drop"]) drop.addEventListener(t, () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); loadFiles(e.dataTransfer.files); });
  $("files").addEventListener("change", () => loadFiles($("files").files));
  async function loadFiles(list) {
    const files = Array.from(list || []);
    if (!files.some((f) => f.name === "model.json")) {
      current.error = "files: drop model.json together with its weight shards (the files its weightsManifest names)";
      current.errorKey = "files";
      render();
      return;
    }
    $("status").textContent = `Reading ${files.length} files…`;
    const bufs = await Promise.all(files.map(async (f) => new Uint8Array(await f.arrayBuffer())));
    await whenGo;
    const id = nextId++;
    pending.set(id, {
      resolve() {},
      reject() {},
    });
    window.hubelGo.files(files.map((f) => f.name), bufs, id);
    const name = await modelNameOf(files.find((f) => f.name === "model.json"));
    if (name) { dropped.add(name); fillModels(); }
  }
  async function modelNameOf(f) {
    try {
      const j = JSON.parse(await f.text());
      const t = j.modelTopology || {};
      return (t.model_config || t).config && (t.model_config || t).config.name;
    } catch { return ""; }
  }

  // ---- start hubel.wasm ---------------------------------------------------
  (async () => {
    try {
      const go = new Go();
      const { instance } = await hubelInstantiate(go);
      whenGo.then(() => window.hubelGo.start(location.hash, false, 0));
      await go.run(instance);
      displayError = "hubel.wasm stopped; see the browser's console";
      render();
    } catch (e) {
      displayError = `Could not start hubel.wasm: ${e}`;
      render();
    }
  })();
  render();
})();
