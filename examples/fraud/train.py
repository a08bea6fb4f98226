"""Train the example fraud model and write it in the layout the mlp serving app loads.

Writes to --out (default $MLP_OUTPUT_DIR):
  model.onnx     the classifier, float32 input [None, 20], outputs `label` (int64) and `probabilities` (float32 [N, 2])
  metadata.json  model_name, model_version, model_type, feature_names, classes, training_metrics, created_at
  metrics.json   accuracy, precision, recall, roc_auc, data_hash, git_sha, created_at

The data set is synthetic and generated from a fixed seed, so two runs on the same library versions produce the
same data (and data_hash) and the same model.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from skl2onnx import to_onnx
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.metrics import accuracy_score, precision_score, recall_score, roc_auc_score
from sklearn.model_selection import train_test_split

SEED = 20240601
ROWS = 20_000

FEATURE_NAMES = [
    "amount",
    "hour_of_day",
    "day_of_week",
    "merchant_risk_score",
    "distance_from_home_km",
    "distance_from_last_txn_km",
    "seconds_since_last_txn",
    "txn_count_1h",
    "txn_count_24h",
    "avg_amount_30d",
    "amount_to_avg_ratio",
    "account_age_days",
    "card_present",
    "is_online",
    "is_international",
    "new_device",
    "failed_logins_24h",
    "customer_age",
    "chargebacks_90d",
    "ip_risk_score",
]
CLASSES = [0, 1]  # 0 = legitimate, 1 = fraud; the ONNX `label` output uses the same integers


def log(message: str) -> None:
    # mlp streams these lines as they come; without flush they would arrive in one block at exit.
    print(f"[train] {message}", flush=True)


def make_dataset(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Transactions whose fraud label follows a noisy logistic function of a few risk signals."""
    rng = np.random.default_rng(seed)
    avg_amount_30d = rng.lognormal(mean=3.8, sigma=0.6, size=rows)
    amount = avg_amount_30d * rng.lognormal(mean=0.0, sigma=0.7, size=rows)
    hour_of_day = rng.integers(0, 24, size=rows)
    day_of_week = rng.integers(0, 7, size=rows)
    merchant_risk_score = rng.beta(2, 5, size=rows)
    distance_from_home_km = rng.exponential(15.0, size=rows)
    distance_from_last_txn_km = rng.exponential(10.0, size=rows)
    seconds_since_last_txn = rng.exponential(36_000.0, size=rows)
    txn_count_1h = rng.poisson(0.6, size=rows)
    txn_count_24h = txn_count_1h + rng.poisson(3.0, size=rows)
    amount_to_avg_ratio = amount / avg_amount_30d
    account_age_days = rng.integers(1, 3650, size=rows)
    is_online = rng.random(rows) < 0.45
    card_present = ~is_online & (rng.random(rows) < 0.9)
    is_international = rng.random(rows) < 0.08
    new_device = rng.random(rows) < 0.1
    failed_logins_24h = rng.poisson(0.2, size=rows)
    customer_age = rng.integers(18, 90, size=rows)
    chargebacks_90d = rng.poisson(0.05, size=rows)
    ip_risk_score = np.clip(rng.normal(0.2, 0.15, size=rows) + 0.3 * new_device, 0.0, 1.0)

    night = (hour_of_day <= 5).astype(float)
    logit = (
        -8.8
        + 2.2 * np.log1p(amount_to_avg_ratio)
        + 4.5 * merchant_risk_score
        + 0.05 * np.minimum(distance_from_home_km, 200.0)
        + 1.8 * night
        + 0.7 * np.minimum(txn_count_1h, 6)
        + 2.0 * is_international
        + 2.4 * new_device
        + 0.9 * np.minimum(failed_logins_24h, 5)
        + 1.6 * chargebacks_90d
        + 4.0 * ip_risk_score
        - 1.2 * card_present
        - 0.0004 * account_age_days
        - 0.8 * (seconds_since_last_txn > 3_600)
    )
    fraud = rng.random(rows) < 1.0 / (1.0 + np.exp(-logit))

    columns = [
        amount, hour_of_day, day_of_week, merchant_risk_score, distance_from_home_km,
        distance_from_last_txn_km, seconds_since_last_txn, txn_count_1h, txn_count_24h, avg_amount_30d,
        amount_to_avg_ratio, account_age_days, card_present, is_online, is_international, new_device,
        failed_logins_24h, customer_age, chargebacks_90d, ip_risk_score,
    ]
    features = np.column_stack([np.asarray(column, dtype=np.float32) for column in columns])
    return features, fraud.astype(np.int64)


def git_sha() -> str | None:
    try:
        result = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    sha = result.stdout.strip()
    return sha if result.returncode == 0 and sha else None


def utc_version(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%SZ")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.environ.get("MLP_OUTPUT_DIR"), help="output directory (default: $MLP_OUTPUT_DIR)")
    parser.add_argument("--rows", type=int, default=ROWS, help=f"rows in the synthetic data set (default: {ROWS})")
    parser.add_argument("--name", default=os.environ.get("MLP_MODEL_NAME", "fraud"), help="model name (default: $MLP_MODEL_NAME or fraud)")
    args = parser.parse_args()
    if not args.out:
        parser.error("no output directory: pass --out DIR or set MLP_OUTPUT_DIR")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    started = time.monotonic()
    now = datetime.now(timezone.utc)
    created_at = now.isoformat(timespec="seconds").replace("+00:00", "Z")
    version = os.environ.get("MLP_MODEL_VERSION") or utc_version(now)

    log(f"generating {args.rows} synthetic transactions (seed {SEED})")
    features, labels = make_dataset(args.rows, SEED)
    data_hash = hashlib.sha256(features.tobytes() + labels.tobytes()).hexdigest()
    log(f"data set sha256 {data_hash[:12]}..., fraud rate {labels.mean():.3f}")

    x_train, x_test, y_train, y_test = train_test_split(features, labels, test_size=0.2, random_state=SEED, stratify=labels)
    log(f"training GradientBoostingClassifier on {len(x_train)} rows, {features.shape[1]} features")
    classifier = GradientBoostingClassifier(n_estimators=120, max_depth=3, learning_rate=0.1, subsample=0.8, random_state=SEED)
    classifier.fit(x_train, y_train)
    log(f"trained in {time.monotonic() - started:.1f} s")

    probabilities = classifier.predict_proba(x_test)[:, 1]
    predictions = (probabilities >= 0.5).astype(np.int64)
    metrics = {
        "accuracy": round(float(accuracy_score(y_test, predictions)), 6),
        "precision": round(float(precision_score(y_test, predictions, zero_division=0)), 6),
        "recall": round(float(recall_score(y_test, predictions, zero_division=0)), 6),
        "roc_auc": round(float(roc_auc_score(y_test, probabilities)), 6),
    }
    log("test metrics: " + ", ".join(f"{key} {value:.4f}" for key, value in metrics.items()))

    # zipmap off: probabilities come out as a plain float tensor [N, 2], which onnxruntime-node can read.
    # Opsets pinned low enough for every onnxruntime 1.x the serving app may run.
    onnx_model = to_onnx(
        classifier,
        features[:1],
        options={id(classifier): {"zipmap": False}},
        target_opset={"": 17, "ai.onnx.ml": 3},
    )
    (out / "model.onnx").write_bytes(onnx_model.SerializeToString())
    log(f"wrote {out / 'model.onnx'}")

    metadata = {
        "model_name": args.name,
        "model_version": version,
        "model_type": type(classifier).__name__,
        "feature_names": FEATURE_NAMES,
        "classes": CLASSES,
        "training_metrics": metrics,
        "created_at": created_at,
    }
    write_json(out / "metadata.json", metadata)
    write_json(out / "metrics.json", {**metrics, "data_hash": data_hash, "git_sha": git_sha(), "created_at": created_at})
    log(f"wrote metadata.json and metrics.json for {args.name} version {version} in {time.monotonic() - started:.1f} s")
    return 0


def write_json(file: Path, document: dict) -> None:
    file.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
