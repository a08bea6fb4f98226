"""Write bench/serving's Open Inference Protocol (V2) payloads into the model dir, from predict.json's row.

    python bench/peers/v2_payloads.py DIR

One row, FP32 [1, 20], the same numbers as predict.json's "features", for each server and protocol:
  DIR/v2-mlp.json       REST body for mlp: input named as model.onnx's input, outputs [probabilities]
  DIR/v2-mlserver.json  REST body for MLServer: the same tensor, outputs [predict_proba] (mlserver-sklearn's name)
  DIR/grpc-mlp.json     ghz's ModelInfer message for mlp, the row in contents.fp32_contents
  DIR/grpc-mlserver.json  the same for MLServer
  DIR/v2-expected.json  model.joblib's predict_proba of the row (as float32, as both servers read it): the
                        sanity check compares every V2 answer with it
Deterministic: the same predict.json and model give the same bytes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import joblib
import numpy as np
import onnx


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: v2_payloads.py DIR", file=sys.stderr)
        return 2
    out = Path(sys.argv[1])
    features = json.loads((out / "predict.json").read_text(encoding="utf-8"))["features"]
    (input_name,) = [tensor.name for tensor in onnx.load(str(out / "model.onnx")).graph.input]
    row = np.asarray([features], dtype=np.float32)
    data = [float(value) for value in row[0]]
    tensor = {"name": input_name, "shape": [1, len(data)], "datatype": "FP32"}
    outputs = {"mlp": "probabilities", "mlserver": "predict_proba"}
    for server, output in outputs.items():
        rest = {"inputs": [{**tensor, "data": data}], "outputs": [{"name": output}]}
        grpc = {
            "model_name": "fraud",
            "inputs": [{**tensor, "contents": {"fp32_contents": data}}],
            "outputs": [{"name": output}],
        }
        (out / f"v2-{server}.json").write_text(json.dumps(rest), encoding="utf-8")
        (out / f"grpc-{server}.json").write_text(json.dumps(grpc), encoding="utf-8")
    classifier = joblib.load(out / "model.joblib")
    probabilities = [float(p) for p in classifier.predict_proba(row)[0]]
    expected = {
        "input_name": input_name,
        "classes": [int(c) for c in classifier.classes_],
        "probabilities": probabilities,
        "label": int(classifier.classes_[int(np.argmax(probabilities))]),
    }
    (out / "v2-expected.json").write_text(json.dumps(expected), encoding="utf-8")
    print(f"[v2_payloads] wrote {', '.join(f'v2-{s}.json, grpc-{s}.json' for s in outputs)}, v2-expected.json", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
