"""Proof of privacy for subprocess tests: Python code to run before Phototag starts, which
denies and reports every attempt to reach the network (an audit hook cannot be removed)."""

import sqlite3
import time

from tests.photos import write_photo

NETWORK_ATTEMPT = "NETWORK ATTEMPT"

DENY_NETWORK = f"""
import sys
def _deny_network(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.sendto"):
        sys.stderr.write(f"{NETWORK_ATTEMPT} {{event}} {{args!r}}\\n")
        raise PermissionError("network use during a test of privacy")
sys.addaudithook(_deny_network)
"""


def drop_photo_into_watch(watch, folder, database, deadline_s: float):
    """Drop a photo into a watched folder and wait until the watcher has recorded it present:
    the point from which its model session exists. Fails if the watch ends or never takes it."""

    def present() -> bool:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as conn:
            row = conn.execute(
                "SELECT status FROM files WHERE path = ?", (str(arrived),)
            ).fetchone()
        return row == ("ok",)

    arrived = folder / "arrived.jpg"
    time.sleep(3)  # let the watcher catch up with the folder before the photo arrives
    write_photo(arrived, ["red"], seed=99)
    deadline = time.monotonic() + deadline_s
    while not present():
        assert watch.poll() is None, watch.communicate()
        assert time.monotonic() < deadline, "the watcher never took the new photo in"
        time.sleep(0.2)
    return arrived
