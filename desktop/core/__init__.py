"""The app's Qt-free core: loading bundles, classifying, explaining, reading files, batching.

Never imports Qt, TensorFlow, Keras or `trainer`.
"""
