"""Peer A of bench/serving: seed 003's FastAPI fraud server, as such servers are usually written.

FastAPI + uvicorn (one worker, uvloop + httptools), the fitted scikit-learn estimator loaded with joblib,
a pydantic request model with `features: list[float]` of length 20 and `request_id`, and
`model.predict_proba` per request. Also seed 004's `/batch_predict` with `instances` and `/ready`.

    MODEL_DIR=... PORT=8000 python bench/peers/fastapi_sklearn/app.py
MODEL_DIR holds model.joblib and metadata.json (bench/peers/train_fraud.py writes both).
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import joblib
import numpy as np
import uvicorn
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

MODEL_DIR = Path(os.environ["MODEL_DIR"])
metadata = json.loads((MODEL_DIR / "metadata.json").read_text())
FEATURE_NAMES: list[str] = metadata["feature_names"]
model = joblib.load(MODEL_DIR / "model.joblib")
model.predict_proba(np.zeros((1, len(FEATURE_NAMES)), dtype=np.float32))  # warm-up, as mlp does

app = FastAPI(title="fraud-fastapi-sklearn")


class PredictionRequest(BaseModel):
    features: list[float] = Field(..., min_length=20, max_length=20)
    request_id: Optional[str] = None


class PredictionResponse(BaseModel):
    prediction: int
    probability: float
    model_name: str
    model_version: str
    inference_time_ms: float
    timestamp: str
    request_id: Optional[str] = None


class BatchRequest(BaseModel):
    instances: list[dict[str, float]] = Field(..., min_length=1)
    return_probabilities: bool = False


class BatchResponse(BaseModel):
    predictions: list[int]
    probabilities: Optional[list[list[float]]] = None
    model_name: str
    model_version: str
    inference_time_ms: float
    timestamp: str


@app.get("/health")
async def health():
    return {"status": "healthy", "model_loaded": True, "model_name": metadata["model_name"]}


@app.get("/ready")
async def ready():
    return {"status": "ready"}


@app.post("/predict", response_model=PredictionResponse)
async def predict(request: PredictionRequest):
    started = time.perf_counter()
    x = np.asarray([request.features], dtype=np.float32)
    probabilities = model.predict_proba(x)[0]
    elapsed_ms = (time.perf_counter() - started) * 1000
    return PredictionResponse(
        prediction=int(np.argmax(probabilities)),
        probability=float(probabilities[1]),
        model_name=metadata["model_name"],
        model_version=metadata["model_version"],
        inference_time_ms=round(elapsed_ms, 3),
        timestamp=datetime.now(timezone.utc).isoformat(),
        request_id=request.request_id,
    )


@app.post("/batch_predict", response_model=BatchResponse)
async def batch_predict(request: BatchRequest):
    try:
        x = np.asarray([[row[name] for name in FEATURE_NAMES] for row in request.instances], dtype=np.float32)
    except KeyError as missing:
        raise HTTPException(status_code=422, detail=f"missing feature {missing}")
    started = time.perf_counter()
    probabilities = model.predict_proba(x)
    elapsed_ms = (time.perf_counter() - started) * 1000
    return BatchResponse(
        predictions=[int(p) for p in np.argmax(probabilities, axis=1)],
        probabilities=probabilities.tolist() if request.return_probabilities else None,
        model_name=metadata["model_name"],
        model_version=metadata["model_version"],
        inference_time_ms=round(elapsed_ms, 3),
        timestamp=datetime.now(timezone.utc).isoformat(),
    )


if __name__ == "__main__":
    uvicorn.run(
        app,
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "8000")),
        workers=1,
        loop="uvloop",
        http="httptools",
        log_level=os.environ.get("LOG_LEVEL", "warning"),
        access_log=os.environ.get("ACCESS_LOG", "0") == "1",
    )
