"""mlp's training-job runner, the ENTRYPOINT of the training image.

Runs the training command (the container's args) with stdio inherited, so the pod's log is the training's log, and
forwards SIGTERM and SIGINT to it. When the command succeeds and MLP_ARTIFACTS_URI is set, it uploads every file in
MLP_OUTPUT_DIR under that S3 prefix and then, last, mlp-manifest.json, which lists them with their sizes and SHA-256:
mlp treats a version as uploaded only once the manifest exists, so an interrupted upload is never taken for a model.

Exit status: the command's own when it fails (128 + N when signal N ends it, 127 when it cannot be started);
2 when the environment is unusable (checked before the command runs, so no training is wasted); 3 when the command
wrote no model.onnx; 4 when the upload fails. The last line goes to /dev/termination-log too, where Kubernetes shows it.

Runs with the Python 3.10+ standard library and boto3, from its own virtualenv (/opt/mlp/runner), so the user's
requirements never meet boto3's. Messages start with "mlp: " and never include credentials.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

DEFAULT_OUTPUT_DIR = "/opt/mlp/output"
MODEL_FILE = "model.onnx"
MANIFEST = "mlp-manifest.json"
MANIFEST_FORMAT = 1
TERMINATION_LOG = "/dev/termination-log"
# Kubernetes keeps at most 4096 bytes of a termination message.
TERMINATION_LOG_LIMIT = 4000
EXIT_USAGE = 2
EXIT_NO_MODEL = 3
EXIT_UPLOAD_FAILED = 4
FORWARDED_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def say(message: str) -> None:
    # The interpreter runs with -I (PYTHONUNBUFFERED is ignored), hence the flush.
    print(f"mlp: {message}", file=sys.stderr, flush=True)


def finish(code: int, message: str) -> NoReturn:
    """Says the outcome, leaves it for Kubernetes as the termination message, and exits."""
    say(message)
    try:
        # Only when the kubelet provides the file (terminationMessagePath): never create one in /dev.
        if os.access(TERMINATION_LOG, os.W_OK):
            with open(TERMINATION_LOG, "w", encoding="utf-8") as log:
                log.write(f"mlp: {message}"[:TERMINATION_LOG_LIMIT] + "\n")
    except OSError:
        pass
    sys.exit(code)


class Stopped(BaseException):
    """A forwarded signal arrived while mlp itself was uploading. A BaseException, so no library swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@dataclass(frozen=True)
class Destination:
    bucket: str
    # "" or a key prefix ending in "/".
    prefix: str

    def uri(self, path: str = "") -> str:
        return f"s3://{self.bucket}/{self.prefix}{path}"


@dataclass(frozen=True)
class Upload:
    destination: Destination
    model_name: str
    model_version: str
    client: Any


@dataclass(frozen=True)
class OutputFile:
    # Relative to MLP_OUTPUT_DIR, with "/" separators: the S3 key below the prefix and the manifest's path.
    path: str
    source: str
    size: int
    sha256: str


def parse_destination(uri: str) -> Destination:
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    if not uri.startswith("s3://") or not bucket:
        finish(EXIT_USAGE, f"MLP_ARTIFACTS_URI={uri} is not an S3 location such as s3://bucket/models/fraud/20261201T101500Z/")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return Destination(bucket, prefix)


def prepare_upload(env: dict[str, str]) -> Upload | None:
    """Everything the upload needs, checked before training: a wrong setting found after hours of training wastes them."""
    uri = env.get("MLP_ARTIFACTS_URI", "")
    if not uri:
        return None
    destination = parse_destination(uri)
    missing = [name for name in ("MLP_MODEL_NAME", "MLP_MODEL_VERSION") if not env.get(name)]
    if missing:
        finish(EXIT_USAGE, f"MLP_ARTIFACTS_URI is set but {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not; the manifest needs both")
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError

    # Path-style requests when the endpoint is overridden (moto, MinIO, a VPC endpoint by IP): no per-bucket DNS names there.
    overridden = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
    config = Config(
        retries={"mode": "standard", "max_attempts": 5},
        user_agent_extra="mlp-train-job",
        s3={"addressing_style": "path"} if overridden else None,
    )
    try:
        # The standard chain: environment, web identity (IRSA), container and instance credentials; AWS_ENDPOINT_URL too.
        session = boto3.session.Session()
        credentials = session.get_credentials()
        client = session.client("s3", config=config)
    except (BotoCoreError, ValueError) as error:
        finish(EXIT_UPLOAD_FAILED, f"cannot upload to {destination.uri()}: {error}; the training command was not run")
    if credentials is None:
        finish(EXIT_UPLOAD_FAILED, f"no AWS credentials found to upload to {destination.uri()} (environment, web identity, container or instance role); the training command was not run")
    return Upload(destination, env["MLP_MODEL_NAME"], env["MLP_MODEL_VERSION"], client)


def run_command(argv: list[str]) -> tuple[int, int | None]:
    """Runs the command to its end; returns its exit status (shell-style) and the signal forwarded to it, if any."""
    child: subprocess.Popen[bytes] | None = None
    exited = False
    forwarded: list[int] = []
    pending: list[int] = []

    def forward(signum: int, _frame: object) -> None:
        forwarded.append(signum)
        if child is None:
            pending.append(signum)
        elif not exited:
            os.kill(child.pid, signum)

    for signum in FORWARDED_SIGNALS:
        signal.signal(signum, forward)
    try:
        child = subprocess.Popen(argv)
    except OSError as error:
        code = 127 if isinstance(error, FileNotFoundError) else 126
        finish(code, f"cannot run the training command {argv[0]}: {error.strerror or error}; nothing uploaded")
    for signum in pending:  # arrived before the child existed
        os.kill(child.pid, signum)
    # As PID 1 (a container) this process inherits orphaned grandchildren and must reap them, or they stay zombies.
    reap_all = os.getpid() == 1
    while True:
        pid, status = os.waitpid(-1 if reap_all else child.pid, 0)
        if pid == child.pid:
            exited = True
            code = os.waitstatus_to_exitcode(status)
            child.returncode = code
            return (128 - code if code < 0 else code), (forwarded[-1] if forwarded else None)


def collect_outputs(output_dir: str) -> list[OutputFile]:
    files: list[OutputFile] = []

    def unreadable(error: OSError) -> NoReturn:
        raise error

    for root, dirs, names in os.walk(output_dir, onerror=unreadable):
        dirs.sort()
        for name in sorted(names):
            source = os.path.join(root, name)
            relative = Path(os.path.relpath(source, output_dir)).as_posix()
            if relative == MANIFEST:
                say(f"ignoring {MANIFEST} in {output_dir}: that name is mlp's manifest")
                continue
            info = os.lstat(source)
            if not stat.S_ISREG(info.st_mode):
                say(f"skipping {relative}: not a regular file")
                continue
            files.append(OutputFile(relative, source, info.st_size, sha256_file(source)))
    return sorted(files, key=lambda file: file.path)


def sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def manifest(upload: Upload, files: list[OutputFile]) -> bytes:
    document = {
        "format": MANIFEST_FORMAT,
        "model": upload.model_name,
        "version": upload.model_version,
        "files": [{"path": file.path, "size": file.size, "sha256": file.sha256} for file in files],
    }
    return (json.dumps(document, indent=2) + "\n").encode("utf-8")


def botocore_message(error: BaseException) -> str:
    """The underlying botocore error's message: boto3's S3UploadFailedError wraps it with local paths around it."""
    from botocore.exceptions import BotoCoreError, ClientError

    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, (ClientError, BotoCoreError)):
            return str(cause)
        cause = cause.__cause__ or cause.__context__
    return str(error)


def upload_outputs(upload: Upload, files: list[OutputFile]) -> None:
    from boto3.exceptions import Boto3Error
    from botocore.exceptions import BotoCoreError, ClientError

    destination = upload.destination
    total = sum(file.size for file in files)
    say(f"uploading {len(files)} files ({human_size(total)}) to {destination.uri()}")
    started = time.monotonic()
    target = destination.uri()
    try:
        for file in files:
            target = destination.uri(file.path)
            upload.client.upload_file(file.source, destination.bucket, destination.prefix + file.path)
            say(f"uploaded {file.path} ({human_size(file.size)})")
        # Last: its presence says every file above is complete.
        target = destination.uri(MANIFEST)
        upload.client.put_object(Bucket=destination.bucket, Key=destination.prefix + MANIFEST, Body=manifest(upload, files), ContentType="application/json")
    except (Boto3Error, BotoCoreError, ClientError, OSError) as error:
        finish(EXIT_UPLOAD_FAILED, f"upload to {target} failed: {botocore_message(error)}")
    say(f"wrote {target}")
    finish(0, f"uploaded {len(files)} files ({human_size(total)}) to {destination.uri()} in {time.monotonic() - started:.1f} s")


def describe_dir(path: str) -> str:
    """What a directory holds, for a message about what is missing from it."""
    if not os.path.isdir(path):
        return "the directory does not exist"
    names = sorted(os.listdir(path))
    if not names:
        return "it is empty"
    return f"it holds {', '.join(names[:10])}{', …' if len(names) > 10 else ''}"


def human_size(size: float) -> str:
    if size < 1000:
        return f"{int(size)} B"
    for unit in ("kB", "MB", "GB"):
        size /= 1000
        if size < 1000:
            return f"{size:.1f} {unit}"
    return f"{size / 1000:.1f} TB"


def main(argv: list[str]) -> NoReturn:
    if not argv:
        finish(EXIT_USAGE, "no training command: the container's arguments are the command to run, e.g. python train.py --out /opt/mlp/output")
    env = dict(os.environ)
    output_dir = env.get("MLP_OUTPUT_DIR") or DEFAULT_OUTPUT_DIR
    upload = prepare_upload(env)

    code, forwarded = run_command(argv)
    if code != 0:
        finish(code, f"the training command exited {code}; nothing uploaded")
    if forwarded is not None:
        # Told to stop, it still exited 0: its output may be half-written, so it is not offered as a model.
        finish(128 + forwarded, f"the training command was stopped by {signal.Signals(forwarded).name} and exited 0; nothing uploaded")
    if upload is None:
        finish(0, f"the training command succeeded; MLP_ARTIFACTS_URI is not set, so nothing in {output_dir} is uploaded")
    if not os.path.isfile(os.path.join(output_dir, MODEL_FILE)):
        finish(EXIT_NO_MODEL, f"the training command succeeded but wrote no {MODEL_FILE} to {output_dir} ({describe_dir(output_dir)}); nothing uploaded. Write the model to $MLP_OUTPUT_DIR/{MODEL_FILE}")

    def stop(signum: int, _frame: object) -> None:
        raise Stopped(signum)

    for signum in FORWARDED_SIGNALS:
        signal.signal(signum, stop)
    try:
        files = collect_outputs(output_dir)
        upload_outputs(upload, files)
    except Stopped as stopped:
        finish(128 + stopped.signum, f"stopped by {signal.Signals(stopped.signum).name} while uploading to {upload.destination.uri()}; {MANIFEST} was not written")
    except OSError as error:
        finish(EXIT_UPLOAD_FAILED, f"upload to {upload.destination.uri()} failed: cannot read {error.filename or output_dir}: {error.strerror or error}")


if __name__ == "__main__":
    main(sys.argv[1:])
