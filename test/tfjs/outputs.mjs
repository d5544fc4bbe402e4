// Outputs of one layer of a TF.js layers model for a batch of float32
// inputs, computed with TensorFlow.js on its pure-JS CPU backend: the
// oracle for models hubel trains and exports (see README.md).
//
//   node test/tfjs/outputs.mjs --model DIR --input x.f32 --layer NAME --out y.f32
//
// x.f32 holds N inputs of the model's input shape (little-endian float32,
// NHWC); y.f32 receives the layer's N outputs the same way.

import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';

const { values: a } = parseArgs({ options: { model: { type: 'string' }, input: { type: 'string' }, layer: { type: 'string' }, out: { type: 'string' } } });
if (!a.model || !a.input || !a.layer || !a.out) {
  console.error('usage: node outputs.mjs --model DIR --input x.f32 --layer NAME --out y.f32');
  process.exit(2);
}
await tf.setBackend('cpu');
const json = JSON.parse(fs.readFileSync(path.join(a.model, 'model.json')));
const specs = [];
const shards = [];
for (const g of json.weightsManifest) {
  specs.push(...g.weights);
  for (const p of g.paths) shards.push(fs.readFileSync(path.join(a.model, p)));
}
const bytes = Buffer.concat(shards);
const model = await tf.loadLayersModel(tf.io.fromMemory({
  modelTopology: json.modelTopology, weightSpecs: specs,
  weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
}));
const shape = model.inputs[0].shape.slice(1);
const per = shape.reduce((x, y) => x * y, 1);
const raw = fs.readFileSync(a.input);
const x = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
if (x.length % per !== 0) {
  console.error(`${a.input}: ${x.length} floats is not a whole number of inputs of shape [${shape}]`);
  process.exit(1);
}
const sub = tf.model({ inputs: model.inputs, outputs: model.getLayer(a.layer).output });
const y = sub.predict(tf.tensor(x, [x.length / per, ...shape]));
fs.writeFileSync(a.out, Buffer.from((await y.data()).buffer));
