package sqlite

import (
	"embed"

	"github.com/havenchat/haven/internal/store/sqlstore"
)

// migrationFiles holds the schemas, one file per version, named
// NNNN_title.sql: the main database's in migrations, the search index's
// (a database file of its own, see indexer.go) in migrations/search, each
// with its own versions. A released file is never edited: a change is a
// new file.
//
//go:embed migrations/*.sql migrations/search/*.sql
var migrationFiles embed.FS

// The two schemas. Each migration runs in its own IMMEDIATE transaction,
// which checks that its row is not there yet, so two processes opening
// the same new file cannot both apply it.
var (
	mainSchema   = schema("migrations", "database")
	searchSchema = schema("migrations/search", "search index")
)

func schema(dir, what string) sqlstore.Schema {
	return sqlstore.Schema{FS: migrationFiles, Dir: dir, What: what,
		DB: "sqlite", Begin: `BEGIN IMMEDIATE`, IntType: "INTEGER"}
}
