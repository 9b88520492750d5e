"""The pipeline every statement passes through, whichever door it came in by."""

from proxy.pipeline.pipeline import Pipeline, PipelineError, QueryOutcome
from proxy.pipeline.purpose import resolve_purpose
from proxy.pipeline.request import QueryRequest

__all__ = ["Pipeline", "PipelineError", "QueryOutcome", "QueryRequest", "resolve_purpose"]
