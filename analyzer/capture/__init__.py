"""SageMaker Model Monitor captured traffic (data capture files, merged files, ground truth) read
into the normal ``analyzer.data.Dataset``, so every analysis runs on it unchanged."""
from analyzer.capture.reader import CaptureSource, load_capture
from analyzer.capture.window import TimeWindow

__all__ = ["CaptureSource", "TimeWindow", "load_capture"]
