package seedcore_test

import "github.com/jmoiron/sqlx"

func sqlxOpen(dsn string) (*sqlx.DB, error) { return sqlx.Open("postgres", dsn) }
