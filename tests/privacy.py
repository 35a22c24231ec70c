"""Proof of privacy for subprocess tests: Python code to run before Phototag starts, which
denies and reports every attempt to reach the network (an audit hook cannot be removed)."""

NETWORK_ATTEMPT = "NETWORK ATTEMPT"

DENY_NETWORK = f"""
import sys
def _deny_network(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.sendto"):
        sys.stderr.write(f"{NETWORK_ATTEMPT} {{event}} {{args!r}}\\n")
        raise PermissionError("network use during a test of privacy")
sys.addaudithook(_deny_network)
"""
