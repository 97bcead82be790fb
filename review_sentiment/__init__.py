"""Offline movie-review sentiment: the Qt-free, TensorFlow-free core.

The text-encoding contract (`review_sentiment.encoding`), the model bundle format
(`review_sentiment.bundle_format`) and loader, classify, explain, file reading, batch streaming,
export and the headless `classify` command. `trainer/` and `desktop/` both stand on this package;
it never imports either of them, nor Qt or TensorFlow.

Modules whose names start with an underscore are private to this distribution: the app and the
trainer use them, other code should use what `__all__` names.
"""

from review_sentiment._bundle import BundleError, ModelBundle, default_models_dir, load_bundle

__all__ = ["BundleError", "ModelBundle", "default_models_dir", "load_bundle"]
