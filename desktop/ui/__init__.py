"""The Qt layer: the main window and its widgets, on top of the Qt-free core, `review_sentiment`."""
