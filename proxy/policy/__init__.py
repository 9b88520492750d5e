"""The policy core: who may see which column of which table, masked how, and which rows.

The decide step of the pipeline (identify → analyse → decide → rewrite → execute). Pure: it
reads the policy files once when an engine is built and afterwards only takes values and
returns values. `PolicyEngine.load(policies_dir, model)` builds an engine; `engine.decide(...)`
answers with a TableDecision that the rewriter and the audit record use.
"""

from proxy.policy.catalogue import Catalogue, CatalogueColumn, CatalogueTable, SubjectRef
from proxy.policy.decisions import ColumnDecision, TableDecision
from proxy.policy.engine import PolicyEngine
from proxy.policy.masks import Category, Kind, MaskOperator
from proxy.policy.row_filters import RowFilter, RowFilters

__all__ = [
    "Catalogue",
    "CatalogueColumn",
    "CatalogueTable",
    "Category",
    "ColumnDecision",
    "Kind",
    "MaskOperator",
    "PolicyEngine",
    "RowFilter",
    "RowFilters",
    "SubjectRef",
    "TableDecision",
]
