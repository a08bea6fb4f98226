"""Peer B of bench/serving: peer A's FastAPI server with onnxruntime instead of scikit-learn.

The best a Python server does here: one onnxruntime InferenceSession on the same model.onnx mlp serves
(one intra-op and one inter-op thread, as mlp's default ONNX_INTRA_OP_THREADS=1), float32 numpy input,
uvicorn with one worker on uvloop + httptools. Same request and response shapes as peer A.

    MODEL_DIR=... PORT=8000 python bench/peers/fastapi_onnx/app.py
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import numpy as np
import onnxruntime as ort
import uvicorn
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

MODEL_DIR = Path(os.environ["MODEL_DIR"])
metadata = json.loads((MODEL_DIR / "metadata.json").read_text())
FEATURE_NAMES: list[str] = metadata["feature_names"]

options = ort.SessionOptions()
options.intra_op_num_threads = 1
options.inter_op_num_threads = 1
session = ort.InferenceSession(str(MODEL_DIR / "model.onnx"), options, providers=["CPUExecutionProvider"])
INPUT_NAME = session.get_inputs()[0].name
PROBABILITIES = "probabilities"
session.run([PROBABILITIES], {INPUT_NAME: np.zeros((1, len(FEATURE_NAMES)), dtype=np.float32)})  # warm-up

app = FastAPI(title="fraud-fastapi-onnx")


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
    probabilities = session.run([PROBABILITIES], {INPUT_NAME: x})[0][0]
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
    probabilities = session.run([PROBABILITIES], {INPUT_NAME: x})[0]
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
