"""The function allowlist: which function calls the analysis lets through.

Masking happens at the source, so a function over a masked column only ever sees the mask; the
danger of a function is what it does besides computing from its arguments: run SQL text
(`query_to_xml`, `ts_stat`), launder values through session state (`set_config`), touch the server
(`pg_read_file`), or be someone else's code (a user-defined function, possibly shadowing a
pg_catalog name on the search path, CVE-2018-1058). Only the listed pg_catalog functions pass.
"""

from __future__ import annotations

from pglast import ast

from proxy.sql.catalog import CatalogSnapshot
from proxy.sql.errors import StatementDenied
from proxy.sql.model import FunctionUse

_STRING = """
ascii bit_length btrim char_length character_length chr concat concat_ws convert_from convert_to
decode encode format initcap left length lower lpad ltrim md5 normalize octet_length overlay
position quote_ident quote_literal quote_nullable regexp_count regexp_instr regexp_like
regexp_match regexp_matches regexp_replace regexp_split_to_array regexp_split_to_table
regexp_substr repeat replace reverse right rpad rtrim sha224 sha256 sha384 sha512 split_part
starts_with string_to_array string_to_table strpos substr substring to_ascii to_char to_hex
translate trim unistr upper casefold like_escape similar_escape similar_to_escape
array_to_string
"""
_NUMBER = """
abs cbrt ceil ceiling degrees div exp factorial floor gcd lcm ln log log10 min_scale mod pi
power radians round scale sign sqrt trim_scale trunc width_bucket to_number numeric
acos asin atan atan2 cos cot sin tan
"""
_TIME = """
age clock_timestamp current_date date_bin date_part date_trunc extract isfinite
justify_days justify_hours justify_interval localtime localtimestamp make_date make_interval
make_time make_timestamp make_timestamptz now statement_timestamp timeofday timezone to_date
to_timestamp transaction_timestamp overlaps date_add date_subtract
"""
_CONDITIONAL = "coalesce greatest least nullif num_nonnulls num_nulls"
_ARRAY = """
array_append array_cat array_dims array_fill array_length array_lower array_ndims
array_position array_positions array_prepend array_remove array_replace array_upper
cardinality generate_series generate_subscripts unnest trim_array array_reverse array_sort
"""
_AGGREGATE = """
array_agg avg bit_and bit_or bool_and bool_or count every json_agg json_object_agg jsonb_agg
jsonb_object_agg max min string_agg sum stddev stddev_pop stddev_samp variance var_pop var_samp
mode percentile_cont percentile_disc corr covar_pop covar_samp any_value
"""
_WINDOW = """
row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value
nth_value
"""
_JSON = """
row_to_json to_json to_jsonb array_to_json json_build_object json_build_array jsonb_build_object
jsonb_build_array json_object jsonb_object json_array_length jsonb_array_length json_typeof
jsonb_typeof json_extract_path json_extract_path_text jsonb_extract_path jsonb_extract_path_text
jsonb_pretty jsonb_strip_nulls json_strip_nulls jsonb_set jsonb_insert json_each jsonb_each
json_each_text jsonb_each_text json_array_elements jsonb_array_elements json_array_elements_text
jsonb_array_elements_text json_object_keys jsonb_object_keys json_to_record jsonb_to_record
json_to_recordset jsonb_to_recordset
"""
_MISC = "gen_random_uuid pg_advisory_unlock_all version"
# what drivers and psql's \d ask of the system catalogues: names, types, definitions, never rows
_CATALOG = """
format_type pg_table_is_visible pg_type_is_visible pg_function_is_visible pg_opclass_is_visible
pg_collation_is_visible pg_get_expr pg_get_indexdef pg_get_constraintdef pg_get_triggerdef
pg_get_ruledef pg_get_viewdef pg_get_userbyid pg_get_partkeydef pg_get_partition_constraintdef
pg_get_statisticsobjdef_columns pg_get_function_arguments pg_get_function_result
pg_get_function_identity_arguments pg_get_serial_sequence pg_relation_is_publishable
pg_encoding_to_char obj_description col_description shobj_description current_schemas
pg_tablespace_location pg_relation_size pg_total_relation_size pg_table_size pg_indexes_size
pg_size_pretty quote_ident has_table_privilege has_column_privilege has_schema_privilege
pg_get_keywords array_to_string pg_partition_ancestors pg_partition_root pg_partition_tree
"""

AGGREGATES = frozenset(_AGGREGATE.split())  # they collapse rows (without OVER)
ALLOWED = frozenset(
    " ".join(
        (_STRING, _NUMBER, _TIME, _CONDITIONAL, _ARRAY, _AGGREGATE, _WINDOW, _JSON, _MISC, _CATALOG)
    ).split()
)

# not needed for the decision (the allowlist already refuses them): a reason a person can act on
_REASONS = {
    "executes SQL text": (
        "query_to_xml",
        "query_to_xmlschema",
        "query_to_xml_and_xmlschema",
        "table_to_xml",
        "table_to_xmlschema",
        "table_to_xml_and_xmlschema",
        "cursor_to_xml",
        "cursor_to_xmlschema",
        "schema_to_xml",
        "database_to_xml",
        "ts_stat",
        "ts_rewrite",
        "dblink",
        "dblink_exec",
    ),
    "reads or changes session state": (
        "set_config",
        "current_setting",
        "nextval",
        "setval",
        "currval",
        "lastval",
        "pg_notify",
    ),
    "has side effects on the server": (
        "pg_sleep",
        "pg_sleep_for",
        "pg_sleep_until",
        "pg_read_file",
        "pg_read_binary_file",
        "pg_ls_dir",
        "pg_stat_file",
        "pg_terminate_backend",
        "pg_cancel_backend",
        "lo_import",
        "lo_export",
        "lo_get",
    ),
}
_REASON_BY_NAME = {name: reason for reason, names in _REASONS.items() for name in names}
_PREFIX_REASONS = (
    ("pg_advisory_", "takes advisory locks"),
    ("lo_", "accesses large objects"),
    ("pg_read_", "reads server files"),
    ("pg_ls_", "lists server files"),
    ("dblink", "executes SQL text"),
)


def function_name(funcname: tuple[ast.String, ...]) -> tuple[str | None, str]:
    """(schema or None, name) of a FuncCall's name list."""
    parts = [str(part.sval) for part in funcname]
    if len(parts) == 1:
        return None, parts[0]
    if len(parts) == 2:
        return parts[0], parts[1]
    raise StatementDenied(f"function name {'.'.join(parts)} has too many parts")


def check_function(schema: str | None, name: str, catalog: CatalogSnapshot) -> FunctionUse:
    """The use of an allowlisted pg_catalog function; any other function is denied."""
    shown = f"{schema}.{name}" if schema else name
    if schema not in (None, "pg_catalog"):
        raise StatementDenied(f"function {shown} is not allowed: only pg_catalog functions are")
    if name not in ALLOWED:
        raise StatementDenied(f"function {shown} is not allowed: {_reason(name)}")
    shadows = catalog.user_functions_named(name)
    if schema is None and shadows:
        raise StatementDenied(
            f"function {name} is not allowed: a function of that name exists in schema "
            f"{shadows[0]}, which could be resolved instead of pg_catalog's"
        )
    return FunctionUse(schema, name)


def _reason(name: str) -> str:
    if name in _REASON_BY_NAME:
        return f"it {_REASON_BY_NAME[name]}"
    for prefix, reason in _PREFIX_REASONS:
        if name.startswith(prefix):
            return f"it {reason}"
    return "it is not on the function allowlist"
