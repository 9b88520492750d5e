"""The HTTP door: JSON over HTTP for internal apps, plus health and metrics for monitoring."""
