"""SQL analysis: parse, allowlist, resolve names and lineage, and splice masking subqueries.

The pure core between a door and the upstream database. `analyze_sql` turns client SQL into
`StatementAnalysis` values (no policy knowledge); the policy layer decides on them; `rewrite`
replaces protected table references with the policy's masking subqueries and deparses. Only
`load_catalog_snapshot` performs I/O.
"""

from proxy.sql.analyze import DEFAULT_SEARCH_PATH, analyze_sql, analyze_statement
from proxy.sql.catalog import CatalogSnapshot, Column, Relation, build_snapshot
from proxy.sql.catalog_load import load_catalog_snapshot
from proxy.sql.errors import (
    AmbiguousColumn,
    SqlRejected,
    SqlSyntaxError,
    StatementDenied,
    StatementTooComplex,
    StatementTooLong,
    UndefinedColumn,
    UndefinedRelation,
)
from proxy.sql.guard import ParsedStatement, SqlLimits, parse_statements
from proxy.sql.model import (
    Action,
    BaseRef,
    ColumnUse,
    FunctionUse,
    Kind,
    OutputColumn,
    RelationUse,
    SourceColumn,
    StatementAnalysis,
    Usage,
    WholeRowUse,
)
from proxy.sql.rewrite import Replacement, rewrite

__all__ = [
    "DEFAULT_SEARCH_PATH",
    "Action",
    "AmbiguousColumn",
    "BaseRef",
    "CatalogSnapshot",
    "Column",
    "ColumnUse",
    "FunctionUse",
    "Kind",
    "OutputColumn",
    "ParsedStatement",
    "Relation",
    "RelationUse",
    "Replacement",
    "SourceColumn",
    "SqlLimits",
    "SqlRejected",
    "SqlSyntaxError",
    "StatementAnalysis",
    "StatementDenied",
    "StatementTooComplex",
    "StatementTooLong",
    "UndefinedColumn",
    "UndefinedRelation",
    "Usage",
    "WholeRowUse",
    "analyze_sql",
    "analyze_statement",
    "build_snapshot",
    "load_catalog_snapshot",
    "parse_statements",
    "rewrite",
]
