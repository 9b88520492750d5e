"""The numbers a column's verdict turns on, in one place (see `classify` for how they are used).

Chosen on the synthetic Palata database (10,000 debtors, 200 values per column): structured
personal columns match 55-100% of their values — given names and surnames written alone are
the weakest, as the name tagger misses some out of context, which is what the hinted share is
for — and no other column matches any kind at all; free-text columns have 70-100% of values
with personal data, and no other column has any.
"""

from __future__ import annotations

MIN_SAMPLED = 5  # fewer non-null values: every value must agree
STRUCTURED_SHARE = 0.6  # values wholly of one kind, for a structured column
HINTED_SHARE = 0.3  # the same, when the column's name suggests that kind
FREE_TEXT_SHARE = 0.1  # values containing personal data, for a free-text column
FREE_TEXT_MIN_WORDS = 5.0  # mean words per value for a column to count as prose
COVERAGE = 0.8  # share of a value's non-space characters an entity must cover to "be" the value
