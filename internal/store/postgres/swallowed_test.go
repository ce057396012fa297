package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/havenchat/haven"
	"github.com/havenchat/haven/internal/core"
	"github.com/havenchat/haven/internal/store/postgres"
	"github.com/havenchat/haven/internal/store/postgres/pgtest"
)

// TestConflictMidResultRunsAgain: a serialization failure that comes
// halfway through a result, from rows.Err, and that fn turns into an
// error of its own (as core turns errors into "not found"), still sends
// the Update back to run again: it is a conflict whatever fn says.
func TestConflictMidResultRunsAgain(t *testing.T) {
	url := pgtest.Get(t).New(t)
	ctx := context.Background()
	st, err := postgres.Open(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// fail_once fails its first call on row 3 as a conflict would; the
	// sequence is outside transactions, so the next run passes.
	err = st.Update(ctx, func(tx core.Tx) error {
		for _, q := range []string{`CREATE SEQUENCE tries`,
			`CREATE FUNCTION fail_once(i int) RETURNS int LANGUAGE plpgsql AS $$
			BEGIN
				IF i = 3 THEN
					IF nextval('tries') = 1 THEN
						RAISE EXCEPTION 'a made-up conflict' USING ERRCODE = 'serialization_failure';
					END IF;
				END IF;
				RETURN i;
			END $$`} {
			rows, err := postgres.TxQuery(ctx, tx, q)
			if err != nil {
				return err
			}
			rows.Close()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var runs []string // how each run went
	err = st.Update(ctx, func(tx core.Tx) error {
		rows, err := postgres.TxQuery(ctx, tx, `SELECT fail_once(i) FROM generate_series(1, 5) AS g(i)`)
		if err != nil {
			runs = append(runs, "query: "+err.Error())
			return haven.ErrNotFound
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			n++
		}
		if err := rows.Err(); err != nil {
			runs = append(runs, fmt.Sprintf("rows.Err after %d rows", n))
			return haven.ErrNotFound // what a mapping of errors may do
		}
		runs = append(runs, fmt.Sprintf("%d rows", n))
		return nil
	})
	if err != nil {
		t.Fatalf("Update: %v (runs: %q)", err, runs)
	}
	if want := []string{"rows.Err after 2 rows", "5 rows"}; fmt.Sprint(runs) != fmt.Sprint(want) {
		t.Fatalf("runs %q, want %q", runs, want)
	}
}

// TestFailedStatementIgnoredFailsItsUpdateOnly: an fn that carries on
// after a failed statement (which aborted the transaction up to its
// savepoint) gets an error, and the Updates of its batch still commit.
func TestFailedStatementIgnoredFailsItsUpdateOnly(t *testing.T) {
	url := pgtest.Get(t).New(t)
	ctx := context.Background()
	st, err := postgres.Open(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// The first Update holds the writer until the other two are queued:
	// they then run in one batch.
	hold, running := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- st.Update(ctx, func(core.Tx) error { close(running); <-hold; return nil })
	}()
	<-running
	bad, good := make(chan error, 1), make(chan error, 1)
	go func() {
		bad <- st.Update(ctx, func(tx core.Tx) error {
			rows, err := postgres.TxQuery(ctx, tx, `SELECT 1/0`)
			if err == nil {
				rows.Close()
			}
			return nil // as if the failure did not matter
		})
	}()
	for postgres.Queued(st) < 1 {
		time.Sleep(time.Millisecond)
	}
	u := &haven.User{FirstName: "kept", CreatedAt: time.UnixMilli(0), LastActiveAt: time.UnixMilli(0)}
	go func() { good <- st.Update(ctx, func(tx core.Tx) error { return tx.CreateUser(ctx, u) }) }()
	for postgres.Queued(st) < 2 {
		time.Sleep(time.Millisecond)
	}
	close(hold)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-bad; err == nil || !errors.Is(err, postgres.ErrWentOn) {
		t.Errorf("the Update that went on: %v, want ErrWentOn", err)
	}
	if err := <-good; err != nil {
		t.Fatalf("its batch mate: %v", err)
	}
	if got, err := st.UserByID(ctx, u.ID); err != nil || got.FirstName != "kept" {
		t.Fatalf("batch mate's user: %v, %v", got, err)
	}
}
