"""Photos in: folder scans, the watcher, decoding (in worker processes), hashing, thumbnails."""
