"""Offline movie-review sentiment: the Qt-free, TensorFlow-free core, usable as a library.

    import review_sentiment
    model = review_sentiment.load()                 # the model shipped with the package
    model.predict_proba(["A wonderful film.", "Dull and far too long."])   # P(positive) of each
    model.predict(["A wonderful film."])            # ['positive']

What `__all__` names is the public API. The text-encoding contract (`review_sentiment.encoding`)
and the bundle format (`review_sentiment.bundle_format`) are public modules too; batch engines
have their adapters in `review_sentiment.ray` and `review_sentiment.spark` (optional extras).
Modules whose names start with an underscore are private: the app, the trainer and the
`classify` command use them, other code should not. This package never imports Qt, TensorFlow,
`desktop` or `trainer`.
"""

from review_sentiment._verdict import DEFAULT_UNCERTAIN_BAND, NEGATIVE, POSITIVE, UNCERTAIN


def __getattr__(name: str):
    """The rest of the API on first use: `import review_sentiment` (and every `python -m
    review_sentiment ...`, which imports this package first) does not load numpy and onnxruntime
    before a command has had its say about them (`__main__`)."""
    if name == "BundleError":
        from review_sentiment._bundle import BundleError as value
    elif name in ("SeenWord", "Verdict"):
        from review_sentiment import _classify

        value = getattr(_classify, name)
    elif name in ("Model", "load"):
        from review_sentiment import _model

        value = getattr(_model, name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

__all__ = [
    "BundleError",
    "DEFAULT_UNCERTAIN_BAND",
    "Model",
    "NEGATIVE",
    "POSITIVE",
    "SeenWord",
    "UNCERTAIN",
    "Verdict",
    "load",
]
