"""SageMaker Model Monitor captured traffic (data capture files, merged files, ground truth) read
into the normal ``analyzer.data.Dataset``, so every analysis runs on it unchanged."""
from analyzer.capture.config import load_capture_config
from analyzer.capture.reader import CaptureSource, load_capture, read_capture_table
from analyzer.capture.window import TimeWindow, parse_instant

__all__ = ["CaptureSource", "TimeWindow", "load_capture", "load_capture_config", "parse_instant", "read_capture_table"]
