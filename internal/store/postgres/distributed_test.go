package postgres_test

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"testing"

	"github.com/havenchat/haven/internal/store/postgres/pgtest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// placement is where a table's rows would live on a distributed
// PostgreSQL (Citus, YugabyteDB): spread by column, with the other tables
// of the same group (co-located: their rows for one value of the column
// on one machine), or copied whole to every machine (a reference table,
// column ""). docs/operations.md, "The schema on a distributed
// PostgreSQL", is this table in words.
type placement struct {
	group  string // "chat", "user", or a table's own key
	column string // the distribution column; "" for a reference table
	why    string // for the tables neither by chat nor by user
}

var placements = map[string]placement{
	// A chat's tables: every hot query names one chat.
	"chats":         {"chat", "id", ""},
	"messages":      {"chat", "chat_id", ""},
	"events":        {"chat", "chat_id", ""},
	"members":       {"chat", "chat_id", ""},
	"reactions":     {"chat", "chat_id", ""},
	"views":         {"chat", "chat_id", ""},
	"mentions":      {"chat", "chat_id", ""},
	"hidden":        {"chat", "chat_id", ""},
	"message_files": {"chat", "chat_id", ""},
	"invites":       {"chat", "chat_id", ""},
	// A person's tables: every hot query names one person.
	"users":               {"user", "id", ""},
	"user_events":         {"user", "user_id", ""},
	"contacts":            {"user", "owner", ""},
	"blocks":              {"user", "owner", ""},
	"privacy":             {"user", "user_id", ""},
	"found_users":         {"user", "viewer", ""},
	"contact_lookups":     {"user", "owner", ""},
	"email_confirmations": {"user", "user_id", ""},
	"sends":               {"user", "sender_id", ""},
	"sessions":            {"user", "user_id", ""},
	"push_subscriptions":  {"user", "user_id", ""},
	"secret_device_lists": {"user", "user_id", ""},
	"secret_devices":      {"user", "user_id", ""},
	"secret_prekeys":      {"user", "user_id", ""},
	"secret_envelopes":    {"user", "user_id", ""},
	"private_pairs":       {"user", "peer_a", ""}, // by the lower id of the pair
	// Lookup tables: keyed by what a client presents, which names no
	// person or chat; each gives the one to name.
	"session_tokens": {"session token", "token_hash", "a session token's hash -> its user and session: signing in"},
	"invite_links":   {"invite link", "hash", "an invite link's hash -> its chat: joining by link"},
	// Lookup tables of what is unique across people and chats, each
	// keyed by it and naming its holder.
	"user_phones": {"phone", "phone", "a phone number -> its account: signing in, finding people"},
	"user_emails": {"email", "email", "an email address -> its account: signing in, finding people"},
	"usernames":   {"username", "username_canon", "a username -> the account or chat that holds it"},
	// Their own keys.
	"login_attempts": {"login attempt", "token_hash", "a sign-in before there is an account to name, by its token's hash"},
	"rate_limits":    {"rate limit", "key", "a limit's bucket (an identifier's or an address's hash)"},
	"uploads":        {"upload", "id", "an upload in progress, by its id"},
	"upload_parts":   {"upload", "upload_id", "an upload's parts, with their upload"},
	"files":          {"file", "id", "a file is shared by any chats and people: by its id"},
	"photo_files":    {"file", "file_id", "which photos hold a file, with the file"},
	"secret_files":   {"file", "file_id", "a secret chat's file's expiry, with the file"},
	// Reference tables: small, rarely written, read by every node.
	"instance":            {"reference", "", "one row: the installation's id"},
	"signup_invites":      {"reference", "", "sign-up invite codes: few, written by admins and inviting members"},
	"cluster_keys":        {"reference", "", "the fingerprints of the keys every node shares, written once"},
	"schema_migrations":   {"reference", "", "the schema's versions"},
	"haven_migrated_from": {"reference", "", "the record of haven admin migrate (made by it)"},
}

// uniqueNotDistributed are the unique keys that do not hold their
// table's distribution column: a distributed PostgreSQL cannot keep them
// as they are. What must be unique across people and chats goes through
// a lookup table keyed by it instead (user_phones, user_emails,
// usernames, private_pairs, session_tokens, invite_links).
var uniqueNotDistributed = map[string]string{}

// foreignNotColocated are the foreign keys between tables of different
// groups, which a distributed PostgreSQL does not keep (only those within
// a group, on the distribution column, or to a reference table): the code
// keeps them, as it does for the tables written per message.
var foreignNotColocated = map[string]string{
	"members_user_id_fkey":        "a chat's member -> the person",
	"contacts_user_id_fkey":       "a contact -> the person",
	"blocks_user_id_fkey":         "a block -> the person blocked",
	"login_attempts_user_id_fkey": "a sign-in -> the account it found",
}

// TestDistributedKeys checks the schema against placements: every table
// is placed; the primary key and every unique key of a spread table holds
// its distribution column (but the known ones above); every foreign key
// stays within a group on the distribution column, or points at a
// reference table (but the known ones above). A new table, key or
// foreign key that a distributed PostgreSQL could not keep fails here.
func TestDistributedKeys(t *testing.T) {
	srv := pgtest.Get(t)
	url := srv.New(t)
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	ctx := context.Background()

	tables := queryStrings(t, db, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind = 'r' ORDER BY 1`)
	for _, name := range tables {
		if _, ok := placements[name]; !ok {
			t.Errorf("table %s is not placed: add it to placements (and to docs/operations.md)", name)
		}
	}
	for name := range placements {
		if !slices.Contains(tables, name) && name != "haven_migrated_from" {
			t.Errorf("placements names %s, which the schema does not have", name)
		}
	}

	// Every unique index (primary keys and unique constraints are ones),
	// with its columns; one on an expression has a 0 among them.
	rows, err := db.QueryContext(ctx, `SELECT t.relname, i.relname, x.indisprimary,
			array_to_string(ARRAY(SELECT coalesce(a.attname, '?') FROM unnest(x.indkey) WITH ORDINALITY k(n, o)
				LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.n ORDER BY k.o), ',')
		FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
		JOIN pg_namespace n ON n.oid = t.relnamespace
		WHERE n.nspname = current_schema() AND t.relkind = 'r' AND x.indisunique ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	hasPrimary := map[string]bool{}
	for rows.Next() {
		var table, index, cols string
		var primary bool
		if err := rows.Scan(&table, &index, &primary, &cols); err != nil {
			t.Fatal(err)
		}
		hasPrimary[table] = hasPrimary[table] || primary
		p := placements[table]
		if p.column == "" {
			continue
		}
		if slices.Contains(strings.Split(cols, ","), p.column) {
			continue
		}
		if _, known := uniqueNotDistributed[index]; known && !primary {
			continue
		}
		t.Errorf("%s: unique key %s (%s) does not hold the distribution column %s", table, index, cols, p.column)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	for _, name := range tables {
		if !hasPrimary[name] {
			t.Errorf("table %s has no primary key", name)
		}
	}

	// Foreign keys, with their pairs of columns.
	rows, err = db.QueryContext(ctx, `SELECT c.conname, c.conrelid::regclass::text, c.confrelid::regclass::text,
			array_to_string(ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, o)
				JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o), ','),
			array_to_string(ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, o)
				JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.o), ',')
		FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
		WHERE c.contype = 'f' AND n.nspname = current_schema() ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, from, to, fromCols, toCols string
		if err := rows.Scan(&name, &from, &to, &fromCols, &toCols); err != nil {
			t.Fatal(err)
		}
		pf, pt := placements[from], placements[to]
		if pt.column == "" {
			continue // to a reference table
		}
		fc, tc := strings.Split(fromCols, ","), strings.Split(toCols, ",")
		i := slices.Index(fc, pf.column)
		if pf.group == pt.group && i >= 0 && tc[i] == pt.column {
			continue // within a group, on the distribution column
		}
		if _, known := foreignNotColocated[name]; known {
			continue
		}
		t.Errorf("foreign key %s: %s (%s) -> %s (%s) crosses groups %q and %q", name, from, fromCols, to, toCols, pf.group, pt.group)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

func queryStrings(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
