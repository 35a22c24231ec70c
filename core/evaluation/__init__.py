"""`phototag eval`: how well each labelling method does on a labelled photo set.

dataset (read the labelled photos) -> embedding (encode once, cached) -> harness (k-shot
episodes per method, metrics, the continual protocol, timing) -> report (table, CSV, plot).
synthetic.py makes labelled embeddings without photos, for the CI regression check and
bench/fewshot_synthetic.py. Numbers from the tiny random model or from synthetic data only show
that the machinery works; real accuracy needs real weights.
"""
