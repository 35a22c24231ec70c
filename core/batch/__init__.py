"""`phototag batch`: the scan's pipeline on a Ray Data cluster, with the same bits.

job.py prepares a job on the library's machine (the ONNX tower, the projection and a manifest
with a numerics fingerprint); listing.py splits the sources into manifest shards; worker.py is
what a cluster node runs (torch-free: the scan's decoding and pixel recipe, ONNX Runtime);
embed.py drives Ray; importing.py records the results through the scan's record functions.
Ray is imported only inside embed.py's functions: the desktop app and the plain CLI never
load it (`phototag[cluster]` installs it).
"""
