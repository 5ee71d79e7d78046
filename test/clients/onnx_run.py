"""Checks an ONNX model with onnx's own checker, runs it once in ONNX Runtime
(CPU) and writes its outputs, so that QuantLab's C++ tests check an exported
model against two real clients.

    python onnx_run.py MODEL.onnx INPUTS.json OUTPUTS.json

INPUTS.json maps each model input's name to {"type", "dims", "data"} (type:
float32, float64, int8, uint8, int32 or int64; data flat, row-major).
OUTPUTS.json receives every model output in the same form; floats are written
with repr, which reads back as the same value.
"""
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort

TYPES = {name: getattr(np, name) for name in ("float32", "float64", "int8", "uint8", "int32", "int64")}


def main(model, inputs_file, outputs_file):
    # full_check also runs shape inference, as a consumer of the file would.
    onnx.checker.check_model(onnx.load(model), full_check=True)
    specs = json.load(open(inputs_file))
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    feeds = {}
    for node in session.get_inputs():
        if node.name not in specs:
            raise ValueError(f"{inputs_file}: no value for the model's input {node.name}")
        spec = specs[node.name]
        kind = spec.get("type", "float32")
        if kind not in TYPES:
            raise ValueError(f"input {node.name}: type {kind}: expected one of {', '.join(TYPES)}")
        feeds[node.name] = np.asarray(spec["data"], dtype=TYPES[kind]).reshape(spec["dims"])
    results = session.run(None, feeds)
    outputs = {}
    for node, value in zip(session.get_outputs(), results):
        value = np.asarray(value)
        outputs[node.name] = {"type": str(value.dtype), "dims": list(value.shape),
                              "data": [v.item() for v in value.reshape(-1)]}
    # A reader never sees a half-written file.
    with open(outputs_file + ".tmp", "w") as out:
        json.dump(outputs, out)
    os.replace(outputs_file + ".tmp", outputs_file)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.stderr.write("usage: python onnx_run.py MODEL.onnx INPUTS.json OUTPUTS.json\n")
        sys.exit(2)
    try:
        main(*sys.argv[1:])
    except Exception as error:  # one line for the C++ test's message
        sys.stderr.write(f"onnx_run: {type(error).__name__}: {error}\n")
        sys.exit(1)
