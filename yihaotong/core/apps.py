from django.apps import AppConfig

# psycopg keeps the conversion of a query's %s placeholders to $n in an LRU cache, but only for statements
# of at most 4,096 bytes and 50 parameters; the work order's INSERT (60 parameters) and the row lock that
# reads every column (over 4 KB of SQL) were converted again on every call: 3 % of an action's Python time
# (decision 0009). The actions use a few dozen such statements; the cache holds 128.
PSYCOPG_CACHED_STATEMENT_LENGTH = 16_384
PSYCOPG_CACHED_STATEMENT_PARAMS = 128


def widen_psycopg_statement_cache() -> None:
    try:
        from psycopg import _queries
    except ImportError:  # SQLite only, or a psycopg without this module: nothing to do
        return
    for name, wanted in (
        ("MAX_CACHED_STATEMENT_LENGTH", PSYCOPG_CACHED_STATEMENT_LENGTH),
        ("MAX_CACHED_STATEMENT_PARAMS", PSYCOPG_CACHED_STATEMENT_PARAMS),
    ):
        current = getattr(_queries, name, None)
        if isinstance(current, int):
            setattr(_queries, name, max(current, wanted))


class CoreConfig(AppConfig):
    name = "yihaotong.core"
    label = "core"

    def ready(self) -> None:
        widen_psycopg_statement_cache()
