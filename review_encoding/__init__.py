"""The text-encoding contract shared by the trainer and the app.

Normalise, tokenise, look up the word index, pad/truncate and decode: written once, in
`contract.py`, so a word the trainer saw is the word the app sees. Needs numpy and `regex`;
never TensorFlow or Qt.
"""

from review_encoding.contract import *  # noqa: F401,F403
from review_encoding.contract import __all__  # noqa: F401
