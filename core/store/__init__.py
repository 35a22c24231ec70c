"""The library database: schema and migrations, every SQL statement, backup and restore."""
