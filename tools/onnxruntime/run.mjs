// Runs an ONNX model once in ONNX Runtime (CPU) and writes its outputs, so
// that QuantLab's C++ tests can check an exported model in a real runtime.
//
//   node run.mjs MODEL.onnx INPUTS.json OUTPUTS.json
//
// INPUTS.json maps each model input's name to {"type", "dims", "data"}
// (type: float32, float64, int8, uint8, int32 or int64; data flat, row-major);
// OUTPUTS.json receives every model output in the same form. Float values are
// written with enough digits to read back the same float32.
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import ort from 'onnxruntime-node';

const arrays = {
  float32: Float32Array, float64: Float64Array, int8: Int8Array, uint8: Uint8Array,
  int32: Int32Array, int64: BigInt64Array,
};

function toTensor(name, spec) {
  const Array_ = arrays[spec.type ?? 'float32'];
  if (!Array_) throw new Error(`input ${name}: type ${spec.type}: expected one of ${Object.keys(arrays).join(', ')}`);
  const values = spec.type === 'int64' ? spec.data.map((v) => BigInt(v)) : spec.data;
  return new ort.Tensor(spec.type ?? 'float32', Array_.from(values), spec.dims);
}

function fromTensor(tensor) {
  const data = Array.from(tensor.data, (v) => (typeof v === 'bigint' ? Number(v) : v));
  return { type: tensor.type, dims: tensor.dims, data };
}

async function main() {
  const [model, inputsFile, outputsFile] = process.argv.slice(2);
  if (!outputsFile) {
    process.stderr.write('usage: node run.mjs MODEL.onnx INPUTS.json OUTPUTS.json\n');
    process.exit(2);
  }
  const inputSpecs = JSON.parse(readFileSync(inputsFile, 'utf8'));
  const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  const feeds = {};
  for (const name of session.inputNames) {
    if (!(name in inputSpecs)) throw new Error(`${inputsFile}: no value for the model's input ${name}`);
    feeds[name] = toTensor(name, inputSpecs[name]);
  }
  const results = await session.run(feeds);
  const outputs = {};
  for (const name of session.outputNames) outputs[name] = fromTensor(results[name]);
  // A reader never sees a half-written file.
  writeFileSync(outputsFile + '.tmp', JSON.stringify(outputs));
  renameSync(outputsFile + '.tmp', outputsFile);
}

main().catch((error) => {
  process.stderr.write(`onnxruntime: ${error.message}\n`);
  process.exit(1);
});
