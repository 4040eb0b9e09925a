// lamina serve's page: describes the model, and either lets you draw a digit for an image
// classifier (live predictions while drawing) or builds a form from the model's inputs.
// Plain browser JavaScript, no libraries, no build step.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const THROTTLE_MS = 120; // at most one prediction request per this many ms while drawing
  const INK = 0.05; // pixels brighter than this count as ink for the bounding box

  const state = {
    info: null,
    version: 0, // bumped on every change of the drawing
    predicted: 0, // the version the shown prediction belongs to
    cleared: 0, // answers for versions before this are dropped
    drawing: false,
    inflight: false,
    lastSent: 0,
    timer: null,
  };

  document.addEventListener("DOMContentLoaded", start);

  async function start() {
    try {
      const response = await fetch("/v1/model");
      if (!response.ok) throw new Error(await errorText(response));
      state.info = await response.json();
    } catch (err) {
      showError("Could not load the model description: " + err.message);
      return;
    }
    const info = state.info;
    document.title = "lamina serve: " + info.name;
    $("model-name").textContent = info.name;
    $("summary").textContent = info.summary;
    fillTable(info);
    if (info.image_classifier) setUpCanvas(info.image);
    else setUpForm(info);
  }

  // -- model description ------------------------------------------------------------------
  function shapeText(shape) {
    if (shape === null) return "unknown";
    const dims = ["batch"].concat(shape.slice(1).map((d) => (d === null ? "None" : String(d))));
    return "(" + dims.join(", ") + (dims.length === 1 ? ",)" : ")");
  }

  function fillTable(info) {
    const body = $("io").querySelector("tbody");
    const rows = info.inputs.map((t) => ["input", t])
      .concat(info.outputs.map((t) => ["output", t]));
    for (const [kind, t] of rows) {
      const tr = document.createElement("tr");
      for (const text of [kind, t.name, shapeText(t.shape), t.dtype]) {
        const td = document.createElement("td");
        td.textContent = text;
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
  }

  // -- drawing ----------------------------------------------------------------------------
  let canvas, ctx, image;

  function setUpCanvas(imageSpec) {
    image = imageSpec;
    $("draw").hidden = false;
    canvas = $("canvas");
    ctx = canvas.getContext("2d", { willReadFrequently: true });
    $("preview").width = image.width;
    $("preview").height = image.height;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = "#fff";
    ctx.fillStyle = "#fff";
    ctx.lineWidth = canvas.width / 14; // about MNIST's stroke once the digit is 20 px tall
    wipe();
    let last = null;
    canvas.addEventListener("pointerdown", (event) => {
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      state.drawing = true;
      last = point(event);
      dot(last);
      changed();
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!state.drawing) return;
      const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
      for (const e of events.length ? events : [event]) {
        const p = point(e);
        line(last, p);
        last = p;
      }
      changed();
    });
    const end = () => {
      if (!state.drawing) return;
      state.drawing = false;
      last = null;
      settle();
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    $("clear").addEventListener("click", clear);
  }

  function point(event) {
    const r = canvas.getBoundingClientRect();
    return [((event.clientX - r.left) * canvas.width) / r.width,
      ((event.clientY - r.top) * canvas.height) / r.height];
  }

  function dot(p) {
    ctx.beginPath();
    ctx.arc(p[0], p[1], ctx.lineWidth / 2, 0, 2 * Math.PI);
    ctx.fill();
  }

  function line(a, b) {
    ctx.beginPath();
    ctx.moveTo(a[0], a[1]);
    ctx.lineTo(b[0], b[1]);
    ctx.stroke();
  }

  function wipe() {
    ctx.save();
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.restore();
  }

  function clear() {
    wipe();
    state.version += 1;
    state.cleared = state.version;
    state.predicted = state.version;
    const prediction = $("prediction");
    prediction.textContent = "";
    prediction.dataset.ready = "false";
    $("confidence").textContent = "";
    $("bars").replaceChildren();
    $("preview").getContext("2d").clearRect(0, 0, image.width, image.height);
  }

  function changed() {
    state.version += 1;
    $("prediction").dataset.ready = "false";
    schedule();
  }

  // Ready: the shown prediction is for the finished drawing as it is now.
  function settle() {
    if (state.predicted === state.version && !state.inflight) {
      $("prediction").dataset.ready = state.drawing ? "false" : "true";
    } else {
      schedule();
    }
  }

  function schedule() {
    if (state.inflight || state.timer !== null) return;
    const wait = THROTTLE_MS - (performance.now() - state.lastSent);
    if (wait > 0) state.timer = setTimeout(send, wait);
    else send();
  }

  async function send() {
    state.timer = null;
    if (state.inflight) return;
    const version = state.version;
    const field = preprocess();
    if (field === null) return;
    showPreview(field);
    state.inflight = true;
    state.lastSent = performance.now();
    try {
      const result = await post({ inputs: [shapeForModel(field)], top_k: 3 });
      if (version >= state.cleared) {
        showProbabilities(result);
        state.predicted = version;
      }
      clearError();
    } catch (err) {
      showError(err.message);
      state.predicted = version;
    } finally {
      state.inflight = false;
    }
    settle();
  }

  // The MNIST recipe: the ink's bounding box scaled into a 20x20 box (for a 28x28 input;
  // the same proportion for other sizes) keeping its aspect ratio, then placed in the field
  // so that its centre of mass is the field's centre. Values in [0, 1], white on black.
  function preprocess() {
    const W = canvas.width, H = canvas.height;
    const pixels = ctx.getImageData(0, 0, W, H).data;
    const gray = new Float32Array(W * H);
    let x0 = W, y0 = H, x1 = -1, y1 = -1;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const v = pixels[(y * W + x) * 4] / 255;
        gray[y * W + x] = v;
        if (v > INK) {
          if (x < x0) x0 = x;
          if (x > x1) x1 = x;
          if (y < y0) y0 = y;
          if (y > y1) y1 = y;
        }
      }
    }
    if (x1 < 0) return null;
    const cw = x1 - x0 + 1, ch = y1 - y0 + 1;
    const tw = image.width, th = image.height;
    const boxW = Math.max(1, Math.round((tw * 20) / 28));
    const boxH = Math.max(1, Math.round((th * 20) / 28));
    const scale = Math.min(boxW / cw, boxH / ch);
    const nw = Math.max(1, Math.round(cw * scale)), nh = Math.max(1, Math.round(ch * scale));
    const small = resample(gray, W, x0, y0, cw, ch, nw, nh);
    let mass = 0, mx = 0, my = 0;
    for (let y = 0; y < nh; y++) {
      for (let x = 0; x < nw; x++) {
        const v = small[y * nw + x];
        mass += v;
        mx += v * x;
        my += v * y;
      }
    }
    const dx = Math.round((tw - 1) / 2 - mx / mass), dy = Math.round((th - 1) / 2 - my / mass);
    const field = new Float32Array(tw * th);
    for (let y = 0; y < nh; y++) {
      for (let x = 0; x < nw; x++) {
        const fx = x + dx, fy = y + dy;
        if (fx >= 0 && fx < tw && fy >= 0 && fy < th) field[fy * tw + fx] = small[y * nw + x];
      }
    }
    return field;
  }

  // Area-average resampling of the crop (x0, y0, cw, ch) of `src` to nw x nh pixels: each
  // output pixel is the mean of the source area it covers (partial pixels weighted).
  function resample(src, stride, x0, y0, cw, ch, nw, nh) {
    const out = new Float32Array(nw * nh);
    const sx = cw / nw, sy = ch / nh;
    for (let ty = 0; ty < nh; ty++) {
      const top = y0 + ty * sy, bottom = top + sy;
      const yEnd = Math.min(Math.ceil(bottom), y0 + ch);
      for (let tx = 0; tx < nw; tx++) {
        const left = x0 + tx * sx, right = left + sx;
        const xEnd = Math.min(Math.ceil(right), x0 + cw);
        let sum = 0;
        for (let y = Math.floor(top); y < yEnd; y++) {
          const wy = Math.min(bottom, y + 1) - Math.max(top, y);
          for (let x = Math.floor(left); x < xEnd; x++) {
            const wx = Math.min(right, x + 1) - Math.max(left, x);
            sum += wx * wy * src[y * stride + x];
          }
        }
        out[ty * nw + tx] = Math.min(1, sum / (sx * sy));
      }
    }
    return out;
  }

  // One sample in the layout the model takes: (H*W,), (H, W), (H, W, 1) or (1, H, W).
  function shapeForModel(field) {
    const values = Array.from(field, (v) => Math.round(v * 1e4) / 1e4);
    if (image.layout === "flat") return values;
    const rows = [];
    for (let y = 0; y < image.height; y++) {
      const row = values.slice(y * image.width, (y + 1) * image.width);
      rows.push(image.layout === "hwc" ? row.map((v) => [v]) : row);
    }
    return image.layout === "chw" ? [rows] : rows;
  }

  function showPreview(field) {
    const preview = $("preview").getContext("2d");
    const data = preview.createImageData(image.width, image.height);
    for (let i = 0; i < field.length; i++) {
      const v = Math.round(field[i] * 255);
      data.data.set([v, v, v, 255], i * 4);
    }
    preview.putImageData(data, 0, 0);
  }

  function showProbabilities(result) {
    const row = result.outputs[0];
    const probabilities = result.top ? row : softmax(row);
    let best = 0;
    probabilities.forEach((p, i) => { if (p > probabilities[best]) best = i; });
    $("prediction").textContent = String(best);
    $("confidence").textContent = (100 * probabilities[best]).toFixed(1) + "%" +
      (result.top ? "" : " (softmax of the outputs)");
    const bars = $("bars");
    bars.replaceChildren();
    probabilities.forEach((p, i) => {
      const bar = document.createElement("div");
      bar.className = "bar" + (i === best ? " best" : "");
      const fill = document.createElement("span");
      fill.className = "fill";
      fill.style.height = (100 * p).toFixed(1) + "%";
      const label = document.createElement("span");
      label.className = "class";
      label.textContent = String(i);
      bar.title = "class " + i + ": " + (100 * p).toFixed(2) + "%";
      bar.append(fill, label);
      bars.appendChild(bar);
    });
  }

  function softmax(row) {
    const top = Math.max(...row);
    const e = row.map((v) => Math.exp(v - top));
    const total = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / total);
  }

  // -- generic form -----------------------------------------------------------------------
  function zeros(shape) {
    const dims = shape === null ? [1] : shape.slice(1).map((d) => (d === null ? 1 : d));
    let value = 0;
    for (const size of dims.reverse()) value = new Array(size).fill(value);
    return [value];
  }

  function setUpForm(info) {
    $("form-card").hidden = false;
    const fields = $("fields");
    info.inputs.forEach((input, i) => {
      const label = document.createElement("label");
      label.htmlFor = "input-" + i;
      label.textContent = input.name + " " + shapeText(input.shape) + " " + input.dtype +
        " (JSON, batch first)";
      const area = document.createElement("textarea");
      area.id = "input-" + i;
      area.rows = 4;
      area.spellcheck = false;
      area.value = JSON.stringify(zeros(input.shape));
      fields.append(label, area);
    });
    $("form").addEventListener("submit", async (event) => {
      event.preventDefault();
      let inputs;
      try {
        const values = info.inputs.map((input, i) => JSON.parse($("input-" + i).value));
        inputs = values.length === 1 ? values[0]
          : Object.fromEntries(info.inputs.map((input, i) => [input.name, values[i]]));
      } catch (err) {
        showError("An input is not valid JSON: " + err.message);
        return;
      }
      try {
        const result = await post({ inputs: inputs });
        $("outputs").textContent = compactJson(result);
        clearError();
      } catch (err) {
        showError(err.message);
      }
    });
  }

  // Indented JSON with each innermost list of numbers on one line.
  function compactJson(value) {
    return JSON.stringify(value, null, 1).replace(
      /\[\s+([-\d.eE+,\s]+?)\s+\]/g, (match, inner) => "[" + inner.replace(/\s+/g, " ") + "]");
  }

  // -- plumbing ---------------------------------------------------------------------------
  async function post(body) {
    const response = await fetch("/v1/predict", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(await errorText(response));
    return response.json();
  }

  async function errorText(response) {
    try {
      const body = await response.json();
      return response.status + ": " + body.detail;
    } catch (err) {
      return response.status + " " + response.statusText;
    }
  }

  function showError(message) {
    $("error").textContent = message;
    $("error").hidden = false;
  }

  function clearError() {
    $("error").hidden = true;
  }
})();
