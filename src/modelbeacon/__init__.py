"""modelbeacon: train, deploy and serve scikit-learn models, and see live how they are doing."""

__version__ = "0.1.0"
