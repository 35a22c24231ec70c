"""Finding photos beyond one label: more like these (similar.py), smart albums written in a
small query language (query.py parses it, match.py evaluates it), and groups of unlabelled
photos worth naming (discover.py)."""
