"""The pipeline every statement passes through, whichever door it came in by."""

from proxy.pipeline.pipeline import Pipeline
from proxy.pipeline.purpose import resolve_purpose
from proxy.pipeline.request import QueryRequest

__all__ = ["Pipeline", "QueryRequest", "resolve_purpose"]
