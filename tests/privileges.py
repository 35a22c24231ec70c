"""Commands run without the power to read any file, so the permission-denied paths are tested as
root too (CI runs as root, and root reads a file of mode 000 anyway).

Root reads everything through two capabilities, CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH. The
command is started by a small Python program that drops both from its bounding set and then
execs the command: a process started by root without them in its bounding set never has them,
nor does anything it starts (decode workers included). It stays uid 0, so it still runs the
interpreter and opens the files it owns; only mode bits now count, as for any user. Switching
to `nobody` instead would not do: that user cannot run this interpreter (under /root here).
For a user other than root there is nothing to drop and the command runs as it is.
"""

from __future__ import annotations

import sys

# PR_CAPBSET_DROP from <linux/prctl.h>; capability numbers from <linux/capability.h>.
DROP_FILE_PRIVILEGES = r"""
import ctypes, os, sys
PR_CAPBSET_DROP = 24
CAPABILITIES = {"CAP_DAC_OVERRIDE": 1, "CAP_DAC_READ_SEARCH": 2}
with open("/proc/self/status") as status:
    fields = dict(line.split(":", 1) for line in status if ":" in line)
held = int(fields["CapEff"], 16) | int(fields["CapPrm"], 16)
if any(held >> bit & 1 for bit in CAPABILITIES.values()):
    libc = ctypes.CDLL(None, use_errno=True)
    for name, bit in CAPABILITIES.items():
        if libc.prctl(PR_CAPBSET_DROP, bit, 0, 0, 0) != 0:
            sys.exit(f"cannot drop {name}: {os.strerror(ctypes.get_errno())}")
os.execv(sys.argv[1], sys.argv[1:])
"""


def without_file_privileges(argv: list[str]) -> list[str]:
    """argv, to be run so that file permissions bind it even when the tests run as root."""
    return [sys.executable, "-c", DROP_FILE_PRIVILEGES, *argv]
