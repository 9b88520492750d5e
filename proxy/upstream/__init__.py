"""The upstream link to PostgreSQL: the connection pool and the embedded default server."""
