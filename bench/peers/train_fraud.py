"""Train examples/fraud's model once for bench/serving, and keep the fitted scikit-learn estimator too.

    python bench/peers/train_fraud.py --out DIR

Runs examples/fraud/train.py's own main() unchanged (same data, same seed, same model.onnx, metadata.json,
metrics.json), capturing the classifier it hands to skl2onnx so that the very same fitted estimator is
pickled with joblib to DIR/model.joblib for peer A. It also writes the bench's payloads, built from rows of
the same synthetic data set (a different seed from training's, so they are unseen rows):
  DIR/predict.json  seed 003's single-row body: {"features": [20 floats], "request_id": "bench_0001"}
  DIR/batch.json    seed 004's batch body: {"instances": [{feature: value} x 100]}
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import joblib

ROOT = Path(__file__).resolve().parents[2]
sys.dont_write_bytecode = True  # leave no __pycache__ in examples/fraud
sys.path.insert(0, str(ROOT / "examples" / "fraud"))
import train  # noqa: E402  (examples/fraud/train.py, not edited)


def main() -> int:
    if "--out" not in sys.argv:
        print("usage: train_fraud.py --out DIR", file=sys.stderr)
        return 2
    out = Path(sys.argv[sys.argv.index("--out") + 1])
    captured = {}
    original_to_onnx = train.to_onnx

    def capturing_to_onnx(model, *args, **kwargs):
        captured["classifier"] = model
        return original_to_onnx(model, *args, **kwargs)

    train.to_onnx = capturing_to_onnx
    sys.argv = [sys.argv[0], "--out", str(out)]
    status = train.main()
    if status != 0:
        return status
    classifier = captured["classifier"]
    joblib.dump(classifier, out / "model.joblib")

    features, _ = train.make_dataset(1000, train.SEED + 1)
    rows = [[float(value) for value in row] for row in features[:100]]
    predict = {"features": rows[0], "request_id": "bench_0001"}
    batch = {"instances": [dict(zip(train.FEATURE_NAMES, row)) for row in rows]}
    (out / "predict.json").write_text(json.dumps(predict), encoding="utf-8")
    (out / "batch.json").write_text(json.dumps(batch), encoding="utf-8")
    print(f"[train_fraud] wrote {out / 'model.joblib'}, predict.json, batch.json", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
