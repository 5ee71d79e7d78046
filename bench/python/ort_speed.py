"""Times ONNX models in ONNX Runtime (CPU) and prints images/s as JSON.

    python ort_speed.py --threads T --batch B [--rounds R] MODEL.onnx...

Each model gets one session with T intra-op threads (1 inter-op thread, all
graph optimizations: ORT fuses QDQ groups into int8 kernels here) and the
same synthetic float32 batch of B samples shaped like its input. Rounds time
every model once in turn, so drift of the machine weighs on all alike; each
round is the median of a few runs, and the result is the median of rounds.
Prints {"threads": T, "batch": B, "rounds": R, "images_per_s": {MODEL: rate}}.
"""
import argparse
import json
import statistics
import sys
import time

import numpy as np
import onnxruntime as ort


def session(model, threads):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def batch_for(sess, batch):
    node = sess.get_inputs()[0]
    shape = [batch] + [int(d) for d in node.shape[1:]]
    rng = np.random.default_rng(0)
    # normalized 8-bit pixels, as the plugins feed them
    return {node.name: ((rng.integers(0, 256, shape) / 255.0 - 0.45) / 0.25).astype(np.float32)}


def seconds(sess, feeds, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        sess.run(None, feeds)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--batch", type=int, required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3, help="runs per round")
    parser.add_argument("models", nargs="+")
    args = parser.parse_args()
    sessions = {model: session(model, args.threads) for model in args.models}
    feeds = {model: batch_for(sess, args.batch) for model, sess in sessions.items()}
    for model, sess in sessions.items():
        sess.run(None, feeds[model])  # warm-up: kernels, allocator
    rates = {model: [] for model in args.models}
    for _ in range(args.rounds):
        for model, sess in sessions.items():
            rates[model].append(args.batch / seconds(sess, feeds[model], args.runs))
    print(json.dumps({"threads": args.threads, "batch": args.batch, "rounds": args.rounds,
                      "images_per_s": {model: statistics.median(r) for model, r in rates.items()}}))


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # one line, as the C++ side expects
        sys.stderr.write(f"ort_speed: {type(error).__name__}: {error}\n")
        sys.exit(1)
