// Reference outputs for hubel's Go tests, computed with TensorFlow.js on its
// pure-JS CPU backend: logits, top-5 classes, objective values and their
// gradients with respect to the model input. See README.md beside this file.
//
//   node test/tfjs/reference.mjs --model DIR --images a.png,b.png \
//        --objectives conv_pw_5_relu:20,logit:249 --out OUTDIR \
//        [--range lo,hi] [--labels synset_words.txt]

import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs';
import pngjs from 'pngjs';

const USAGE = `usage: node reference.mjs --model DIR --images a.png[,b.png...] --objectives SPEC[,SPEC...] --out OUTDIR [--range lo,hi] [--labels FILE]
  SPEC is LAYER:CHANNEL (spatial mean of one channel of a 4-D NHWC layer output) or logit:CLASS`;

class UsageError extends Error {}

function fail(msg) {
  throw new UsageError(msg);
}

function readFile(file, what) {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    fail(`cannot read ${what} ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
}

// loadModel reads a TF.js layers model from disk: model.json's topology and
// weightsManifest, with every group's shards concatenated in manifest order
// (the layout tf.io expects). No network, no tfjs-node.
async function loadModel(dir) {
  const json = JSON.parse(readFile(path.join(dir, 'model.json'), 'model description'));
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
    fail(`${dir}/model.json: want modelTopology and weightsManifest (a TF.js layers model)`);
  }
  const weightSpecs = [];
  const shards = [];
  for (const group of json.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) shards.push(readFile(path.join(dir, p), 'weight shard'));
  }
  const bytes = Buffer.concat(shards);
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData }));
}

// readImage decodes an 8-bit PNG of the model's input size into a
// [1,H,W,3] float32 tensor (RGB, alpha dropped). The default range [-1,1]
// uses exactly x = p/127.5 - 1 in float32; another range uses
// x = lo + (p/255)*(hi-lo), each operation rounded to float32.
function readImage(file, height, width, [lo, hi]) {
  let png;
  try {
    png = pngjs.PNG.sync.read(readFile(file, 'image'));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    fail(`${file}: not a readable PNG: ${e.message}`);
  }
  if (png.depth !== 8 && !png.palette) fail(`${file}: PNG has ${png.depth}-bit channels, want 8-bit`);
  if (png.height !== height || png.width !== width) {
    fail(`${file}: image is ${png.width}x${png.height}, the model wants ${width}x${height}`);
  }
  const f = Math.fround;
  const scale = lo === -1 && hi === 1 ? (p) => f(f(p / 127.5) - 1) : (p) => f(f(lo) + f(f(p / 255) * f(f(hi) - f(lo))));
  const x = new Float32Array(height * width * 3);
  for (let i = 0; i < height * width; i++) {
    for (let c = 0; c < 3; c++) x[3 * i + c] = scale(png.data[4 * i + c]); // pngjs always yields RGBA
  }
  return tf.tensor4d(x, [1, height, width, 3]);
}

// findLogits returns a function from the model input to the logits (a 1-D
// tensor): the input of the last softmax Activation, or the pre-activation of
// the last Dense layer with a softmax activation.
function findLogits(model) {
  for (const layer of [...model.layers].reverse()) {
    const cfg = layer.getConfig();
    if (cfg.activation !== 'softmax') continue;
    if (layer.getClassName() === 'Activation') {
      const sub = tf.model({ inputs: model.inputs, outputs: layer.input });
      return { name: `input of ${layer.name}`, fn: (x) => tf.reshape(sub.apply(x, { training: false }), [-1]) };
    }
    if (layer.getClassName() === 'Dense') {
      const sub = tf.model({ inputs: model.inputs, outputs: layer.input });
      const [kernel, bias] = layer.getWeights();
      return {
        name: `pre-activation of ${layer.name}`,
        fn: (x) => {
          const z = tf.matMul(tf.reshape(sub.apply(x, { training: false }), [1, -1]), kernel);
          return tf.reshape(bias ? tf.add(z, bias) : z, [-1]);
        },
      };
    }
    fail(`layer ${layer.name} (${layer.getClassName()}) has a softmax activation: only Activation and Dense are supported`);
  }
  fail('no softmax layer in the model: cannot tell which tensor holds the logits');
}

// parseObjective turns a SPEC into a function from the model input to a scalar.
function parseObjective(spec, model, logits, nclass) {
  const m = /^(.+):(\d+)$/.exec(spec);
  if (!m) fail(`objective ${JSON.stringify(spec)}: want LAYER:CHANNEL or logit:CLASS`);
  const [name, index] = [m[1], Number(m[2])];
  if (name === 'logit') {
    if (index >= nclass) fail(`objective ${spec}: class ${index} out of range, the model has ${nclass} classes`);
    return (x) => tf.reshape(tf.slice(logits.fn(x), [index], [1]), []);
  }
  const layer = model.layers.find((l) => l.name === name);
  if (!layer) fail(`objective ${spec}: the model has no layer named ${JSON.stringify(name)}`);
  const shape = layer.outputShape;
  if (!Array.isArray(shape) || shape.length !== 4) {
    fail(`objective ${spec}: layer ${name} has output shape ${JSON.stringify(shape)}, want 4-D NHWC`);
  }
  if (index >= shape[3]) fail(`objective ${spec}: channel ${index} out of range, layer ${name} has ${shape[3]} channels`);
  const sub = tf.model({ inputs: model.inputs, outputs: layer.output });
  return (x) => tf.mean(tf.slice(sub.apply(x, { training: false }), [0, 0, 0, index], [-1, -1, -1, 1]));
}

// Conv2D layers run tf.fused.conv2d, whose backward pass computes the filter
// gradient eagerly even when only the input gradient is wanted; the CPU
// backend's Conv2DBackpropFilter is a naive loop that took ~99% of a
// MobileNet backward pass (~70 s). This harness never needs weight gradients,
// so that kernel is replaced by one that returns NaN: were its result ever
// used, the input gradients would hold NaN, which valueAndGrad rejects.
function skipFilterGradients() {
  tf.unregisterKernel('Conv2DBackpropFilter', 'cpu');
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'cpu',
    kernelFunc: ({ attrs, backend }) =>
      backend.makeTensorInfo(attrs.filterShape, 'float32', new Float32Array(tf.util.sizeFromShape(attrs.filterShape)).fill(NaN)),
  });
}

// valueAndGrad evaluates a scalar objective and its gradient at x.
function valueAndGrad(fn, x) {
  const { value, grad } = tf.tidy(() => tf.valueAndGrad(fn)(x));
  const out = { value: value.dataSync()[0], grad: grad.dataSync().slice() };
  tf.dispose([value, grad]);
  if (!Number.isFinite(out.value) || !out.grad.every(Number.isFinite)) throw new Error('objective or gradient is not finite');
  return out;
}

function softmax(z) {
  const max = Math.max(...z);
  const e = z.map((v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

// checkAgainstOutput confirms the logits found are the model's: where the
// model's output has one value per class, softmax(logits) must match it.
function checkAgainstOutput(model, x, prob, file) {
  const out = tf.tidy(() => model.predict(x).dataSync());
  if (out.length !== prob.length) return;
  const diff = Math.max(...prob.map((p, i) => Math.abs(p - out[i])));
  if (diff > 1e-5) throw new Error(`${file}: softmax(logits) differs from the model output by ${diff}`);
}

function writeF32LE(file, data) {
  const buf = Buffer.alloc(4 * data.length);
  data.forEach((v, i) => buf.writeFloatLE(v, 4 * i));
  fs.writeFileSync(file, buf);
}

// medianMs runs fn three times and returns the median wall time in ms.
function medianMs(fn) {
  const t = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return t.sort((a, b) => a - b)[1];
}

function parseRange(s) {
  const r = s.split(',').map(Number);
  if (r.length !== 2 || r.some((v) => !Number.isFinite(v)) || r[0] === r[1]) fail(`--range ${s}: want lo,hi (two different numbers)`);
  return r;
}

async function main() {
  let opts;
  try {
    ({ values: opts } = parseArgs({
      options: {
        model: { type: 'string' },
        images: { type: 'string' },
        objectives: { type: 'string' },
        out: { type: 'string' },
        range: { type: 'string', default: '-1,1' },
        labels: { type: 'string' },
      },
    }));
  } catch (e) {
    fail(e.message);
  }
  for (const k of ['model', 'images', 'objectives', 'out']) if (!opts[k]) fail(`missing --${k}`);
  const range = parseRange(opts.range);
  const images = opts.images.split(',').filter(Boolean);
  const specs = opts.objectives.split(',').filter(Boolean);
  const labels = opts.labels ? readFile(opts.labels, 'labels').toString().split('\n') : null;
  const names = images.map((f) => path.basename(f, path.extname(f)));
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) fail(`two images share the base name ${dup}: their outputs would collide`);

  await tf.setBackend('cpu');
  await tf.ready();
  skipFilterGradients();
  const model = await loadModel(opts.model);
  if (model.inputs.length !== 1) fail(`the model has ${model.inputs.length} inputs, want 1`);
  const [, height, width, channels] = model.inputs[0].shape;
  if (channels !== 3) fail(`the model input has ${channels} channels, want 3 (RGB)`);
  const logits = findLogits(model);
  const nclass = tf.tidy(() => logits.fn(tf.zeros([1, height, width, 3])).size);
  const objectives = Object.fromEntries(specs.map((s) => [s, parseObjective(s, model, logits, nclass)]));

  fs.mkdirSync(opts.out, { recursive: true });
  const manifest = {
    tfjs: tf.version.tfjs,
    backend: tf.getBackend(),
    model: path.resolve(opts.model),
    input: {
      shape: [1, height, width, 3],
      layout: 'NHWC float32, RGB',
      range,
      formula: range[0] === -1 && range[1] === 1 ? 'x = float32(p)/127.5 - 1' : 'x = lo + (p/255)*(hi-lo), float32',
    },
    logits: logits.name,
    gradients: 'raw little-endian float32, NHWC [1,H,W,3], d objective / d input (in the input scale above)',
    objectives: specs,
    images: [],
  };
  for (const [i, file] of images.entries()) {
    const x = readImage(file, height, width, range);
    const z = Array.from(tf.tidy(() => logits.fn(x).dataSync()));
    const prob = softmax(z);
    checkAgainstOutput(model, x, prob, file);
    const top5 = prob
      .map((p, index) => ({ index, prob: p }))
      .sort((a, b) => b.prob - a.prob)
      .slice(0, 5)
      .map((t) => (labels ? { ...t, label: labels[t.index] } : t));
    const result = { image: path.resolve(file), logits: z, top5, objectives: {} };
    const entry = { image: path.resolve(file), json: `${names[i]}.json`, gradients: {} };
    for (const spec of specs) {
      const { value, grad } = valueAndGrad(objectives[spec], x);
      result.objectives[spec] = value;
      const gfile = `${names[i]}__${spec.replace(/[:/]/g, '_')}.f32`;
      writeF32LE(path.join(opts.out, gfile), grad);
      entry.gradients[spec] = gfile;
      const norm = Math.sqrt(grad.reduce((a, g) => a + g * g, 0));
      console.error(`${names[i]} ${spec}: value ${value.toPrecision(7)}, |grad| ${norm.toPrecision(7)}`);
    }
    fs.writeFileSync(path.join(opts.out, entry.json), JSON.stringify(result, null, 1));
    manifest.images.push(entry);
    const t = top5[0];
    console.error(`${names[i]}: top-1 ${t.index}${t.label ? ` (${t.label})` : ''} p=${t.prob.toFixed(4)}`);
    x.dispose();
  }

  // Timings on the photo-free input so they don't depend on --images.
  const x = tf.randomUniform([1, height, width, 3], -1, 1, 'float32', 1);
  const logit0 = (v) => tf.reshape(tf.slice(logits.fn(v), [0], [1]), []);
  valueAndGrad(logit0, x); // warm-up
  manifest.timing_ms = {
    forward: medianMs(() => tf.tidy(() => model.predict(x).dataSync())),
    forward_backward: medianMs(() => valueAndGrad(logit0, x)),
    note: `median of 3 on the tfjs ${tf.getBackend()} backend at ${height}x${width}, batch 1; forward = model.predict, forward_backward = value and input gradient of logit 0`,
  };
  fs.writeFileSync(path.join(opts.out, 'manifest.json'), JSON.stringify(manifest, null, 1));
  console.error(`forward ${manifest.timing_ms.forward.toFixed(0)} ms, forward+backward ${manifest.timing_ms.forward_backward.toFixed(0)} ms`);
}

main().catch((e) => {
  console.error(`reference.mjs: ${e instanceof UsageError ? e.message : e.stack || e}`);
  if (e instanceof UsageError && /missing --|Unknown option|Option '/.test(e.message)) console.error(USAGE);
  process.exit(1);
});
