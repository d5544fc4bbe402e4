// The TF.js half of hubel's benchmark page: the same AM step as hubel's,
// written with TensorFlow.js ops (see bench.html). Loaded by bench.html
// (window.HubelTFSide) and, for debugging, by Node with globalThis.tf set.
"use strict";
(function (root) {
// TFSide is one TF.js backend's model, loaded while that backend is active
// so its weights live there.
class TFSide {
  constructor(name, model, layer) {
    this.name = name;
    this.model = model;
    this.trunk = tf.model({ inputs: model.inputs, outputs: model.getLayer(layer).output });
  }

  async use() {
    if (tf.getBackend() !== this.name) {
      await tf.setBackend(this.name);
      await tf.ready();
    }
  }

  // setup prepares the step for cfg from hubel's setup result h: the same
  // spectrum, frequency scale and colour matrix.
  async setup(cfg, h) {
    await this.use();
    this.release();
    const B = cfg.batch, H = cfg.size, W = cfg.size, WF = h.wf, WT = 2 * (WF - 1);
    this.B = B; this.M = cfg.size - cfg.jitter;
    const C = this.trunk.outputs[0].shape[3];
    const t = this.t = {};
    // hubel's DFT matrices (gpu.SpectralShape.DFTMatrices): along y the
    // complex inverse DFT as one real 2H×2H matrix, rows interleaved
    // (re, im); along x the real inverse DFT with Lucid's 1/4, 2WF×W.
    t.ay = tf.tensor2d(h.ay, [2 * H, 2 * H]);
    t.bx = tf.tensor2d(h.bx, [2 * WF, W]);
    const sc = tf.tensor2d(h.scale, [H, WF]);
    t.scale = tf.concat([sc, sc], 0); // re and im rows
    sc.dispose();
    const m = h.color; // rgb_i = Σ_j m[3i+j]·t_j, so rgb = t·Mᵀ
    t.colorT = tf.tensor2d([m[0], m[3], m[6], m[1], m[4], m[7], m[2], m[5], m[8]], [3, 3]);
    t.mask = tf.oneHot(tf.tensor1d(cfg.channels, "int32"), C).reshape([B, 1, 1, C]);
    t.spec = tf.variable(tf.tensor(h.params, [B * 3, 2 * H, WF])); // hubel's [B][C][2][H][WF]
    const inp = new Float32Array(B * this.M * this.M * 3);
    for (let i = 0; i < inp.length; i++) inp[i] = (i % 997) / 997 - 0.5; // hubel's net input
    t.input = tf.tensor(inp, [B, this.M, this.M, 3]);
    this.opt = tf.train.adam(cfg.lr, 0.9, 0.999, 1e-8);
    this.t0 = 0; // steps taken, for Adam's epsilon
    this.H = H; this.W = W; this.WF = WF;
    this.gradNet = tf.grad((x) => this.objective(this.trunk.apply(x)).sum().neg());
  }

  // image: spectrum → NHWC rgb in [0, 1], as matrix products (TF.js
  // cannot differentiate its FFT). Tensors stay rank ≤ 4: TF.js-WebGPU has
  // no rank-5 slice gradient.
  image() {
    const { B, H, W, WF, t } = this;
    const x = t.spec.mul(t.scale).transpose([1, 0, 2]).reshape([2 * H, B * 3 * WF]);
    const z = tf.matMul(t.ay, x) // rows (y, re/im), columns (b, c, kx)
      .reshape([H, 2, B * 3, WF]).transpose([0, 2, 1, 3]).reshape([H * B * 3, 2 * WF]);
    const img = tf.matMul(z, t.bx) // [H·B·3, W]
      .reshape([H, B, 3, W]).transpose([1, 0, 3, 2]); // [B,H,W,3]
    return tf.sigmoid(img.reshape([B * H * W, 3]).matMul(t.colorT)).reshape([B, H, W, 3]);
  }

  // objective: per image, the mean of its channel of the activations a.
  objective(a) {
    return a.mul(this.t.mask).sum([1, 2, 3]).div(a.shape[1] * a.shape[2]);
  }

  // step runs one AM step with crop offsets [[x, y] per image]; it returns
  // the objective per image (a tensor, not read back).
  step(offsets) {
    // hubel (like Lucid, i.e. TF 1) adds epsilon to √v before the bias
    // correction, TF.js after it: the same update with TF.js's epsilon at
    // step t set to 1e-8/√(1−β2^t).
    this.t0++;
    this.opt.epsilon = 1e-8 / Math.sqrt(1 - Math.pow(0.999, this.t0));
    let obj;
    const cost = this.opt.minimize(() => {
      const rgb = this.image();
      const crops = tf.concat(offsets.map(([x, y], i) => rgb.slice([i, y, x, 0], [1, this.M, this.M, 3])), 0);
      const o = this.objective(this.trunk.apply(crops.mul(2).sub(1)));
      obj = tf.keep(o);
      return o.sum().neg();
    }, true, [this.t.spec]);
    cost.dispose();
    return obj;
  }

  // steps times n steps, waiting for the GPU at the end.
  async steps(n, offsetsAt) {
    await this.use();
    const t0 = performance.now();
    const objs = [];
    for (let k = 0; k < n; k++) objs.push(this.step(offsetsAt(k)));
    await objs[objs.length - 1].data();
    const ms = performance.now() - t0;
    const vals = [];
    for (const o of objs) { vals.push(Array.from(await o.data())); o.dispose(); }
    return { ms, vals };
  }

  async net(n) {
    await this.use();
    const t0 = performance.now();
    let g = null;
    for (let k = 0; k < n; k++) {
      if (g) g.dispose();
      g = this.gradNet(this.t.input);
    }
    await g.data();
    g.dispose();
    return { ms: performance.now() - t0 };
  }

  memory() {
    const m = tf.memory();
    return { numBytes: m.numBytes, numBytesInGPU: m.numBytesInGPU,
      numBytesAllocatedInGPU: m.numBytesAllocatedInGPU ?? m.numBytesInGPUAllocated, numTensors: m.numTensors };
  }

  release() {
    if (this.t) for (const x of Object.values(this.t)) x.dispose();
    if (this.opt) this.opt.dispose();
    this.t = null; this.opt = null;
  }
}
root.HubelTFSide = TFSide;
})(typeof window !== "undefined" ? window : globalThis);
