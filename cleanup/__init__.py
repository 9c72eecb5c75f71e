"""cleanup: turn raw ASR transcripts of Chinese AI talks into publishable, fully accounted text."""

__version__ = "0.1.0"
