"""A real S3 server on loopback for the s3:// tests: moto's (`pip install 'moto[server]'`, in
the test extra), in a thread of the test process on 127.0.0.1 and a free port. Buckets are
filled through pyarrow.fs, the client Phototag itself uses."""

from __future__ import annotations

import logging
import socket
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# Credentials moto accepts; no metadata service is asked (it is not on loopback).
S3_ENV = {
    "AWS_ACCESS_KEY_ID": "phototag-test",
    "AWS_SECRET_ACCESS_KEY": "phototag-test",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


@contextmanager
def s3_server() -> Iterator[str]:
    """The endpoint URL of a fresh, empty S3 server."""
    server_module = pytest.importorskip("moto.server", reason="moto[server] is not installed")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # a line a request otherwise
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    # moto keeps its buckets per process, not per server: each server starts empty (so one
    # server at a time).
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))
    try:
        yield endpoint
    finally:
        server.stop()


def closed_endpoint() -> str:
    """An endpoint on loopback that nothing listens on (a port just given back)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def client(endpoint: str):
    from pyarrow import fs

    return fs.S3FileSystem(
        access_key=S3_ENV["AWS_ACCESS_KEY_ID"],
        secret_key=S3_ENV["AWS_SECRET_ACCESS_KEY"],
        region=S3_ENV["AWS_DEFAULT_REGION"],
        endpoint_override=endpoint.split("://")[1],
        scheme="http",
        allow_bucket_creation=True,
    )


def put(endpoint: str, bucket: str, objects: dict[str, bytes]) -> None:
    """The bucket (made if new) with these objects, by key."""
    store = client(endpoint)
    store.create_dir(bucket)
    for key, data in objects.items():
        with store.open_output_stream(f"{bucket}/{key}") as stream:
            stream.write(data)


def tree(root: Path, prefix: str) -> dict[str, bytes]:
    """Every file below root as an object under prefix, keyed as its relative path."""
    return {
        f"{prefix}/{path.relative_to(root).as_posix()}": path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }
