"""An open, drop-in replacement for the SageMaker Clarify processing container."""

__version__ = "0.1.0"
