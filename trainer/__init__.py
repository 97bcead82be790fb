"""Trains the Keras sentiment model on IMDB reviews and exports it as an ONNX model bundle.

Run `python -m trainer --help`. TensorFlow is imported only once training starts.
"""
