package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/havenchat/haven/internal/core"
)

// TakeToken takes a token from the bucket named key under r at now, in
// one statement (GCRA: the row keeps the moment the bucket is full
// again; a token is there when that moment is at most window-interval
// ahead). When the upsert's condition fails no row comes back, and the
// stored moment tells the wait.
func (t *Tx) TakeToken(ctx context.Context, key []byte, r core.Rate, now time.Time) (bool, time.Duration, error) {
	interval := r.Interval().Milliseconds()
	slack := interval*int64(r.Count) - interval // window - interval
	ms := millis(now)
	var tat int64
	err := t.queryRow(ctx, `INSERT INTO rate_limits (key, tat) VALUES (?1, CAST(?2 AS BIGINT) + CAST(?3 AS BIGINT))
		ON CONFLICT (key) DO UPDATE SET tat = max(rate_limits.tat, ?2) + ?3 WHERE max(rate_limits.tat, ?2) - ?2 <= ?4
		RETURNING tat`, key, ms, interval, slack).Scan(&tat)
	if err == nil {
		return true, 0, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, 0, fmt.Errorf("take token: %w", err)
	}
	if err := t.queryRow(ctx, `SELECT tat FROM rate_limits WHERE key = ?`, key).Scan(&tat); err != nil {
		return false, 0, fmt.Errorf("take token: %w", err)
	}
	return false, time.Duration(max(tat-ms-slack, 1)) * time.Millisecond, nil
}

// TokenWait reads the bucket TakeToken would take from: a token is
// there when its full-again moment is at most window-interval ahead.
func (t *Tx) TokenWait(ctx context.Context, key []byte, r core.Rate, now time.Time) (time.Duration, error) {
	interval := r.Interval().Milliseconds()
	slack := interval*int64(r.Count) - interval
	ms := millis(now)
	var tat int64
	err := t.queryRow(ctx, `SELECT tat FROM rate_limits WHERE key = ?`, key).Scan(&tat)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("token wait: %w", err)
	}
	if max(tat, ms)-ms <= slack {
		return 0, nil
	}
	return time.Duration(max(tat-ms-slack, 1)) * time.Millisecond, nil
}

// ReturnToken gives back a token TakeToken took.
func (t *Tx) ReturnToken(ctx context.Context, key []byte, r core.Rate) error {
	if _, err := t.exec(ctx, `UPDATE rate_limits SET tat = tat - ? WHERE key = ?`, r.Interval().Milliseconds(), key); err != nil {
		return fmt.Errorf("return token: %w", err)
	}
	return nil
}

// DeleteFullBuckets removes the buckets full at now.
func (t *Tx) DeleteFullBuckets(ctx context.Context, now time.Time) (int, error) {
	return t.count(ctx, "delete full buckets", `DELETE FROM rate_limits WHERE tat <= ?`, millis(now))
}

// count runs a statement and reports how many rows it changed.
func (t *Tx) count(ctx context.Context, what, query string, args ...any) (int, error) {
	res, err := t.exec(ctx, query, args...)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return int(n), nil
}

// RecordLookups notes the keys owner looked up, unless the new ones would
// take owner over max in the window. It runs on the writer, so its read
// and its writes are one step.
func (t *Tx) RecordLookups(ctx context.Context, owner int64, keys [][]byte, now time.Time, window time.Duration, max int) (bool, time.Duration, error) {
	since := millis(now.Add(-window))
	rows, err := t.query(ctx, `SELECT key, at FROM contact_lookups WHERE owner = ? AND at > ? ORDER BY at`, owner, since)
	if err != nil {
		return false, 0, fmt.Errorf("record lookups: %w", err)
	}
	type noted struct {
		key string
		at  int64
	}
	recent, err := scanAll(rows, func(sc scanner) (noted, error) {
		var k []byte
		var n noted
		err := sc.Scan(&k, &n.at)
		n.key = string(k)
		return n, err
	})
	if err != nil {
		return false, 0, fmt.Errorf("record lookups: %w", err)
	}
	known := make(map[string]bool, len(recent)+len(keys))
	for _, n := range recent {
		known[n.key] = true
	}
	var fresh [][]byte
	for _, k := range keys {
		if !known[string(k)] {
			known[string(k)] = true
			fresh = append(fresh, k)
		}
	}
	if over := len(recent) + len(fresh) - max; over > 0 {
		if len(fresh) > max {
			return false, 0, nil
		}
		// The over-th oldest noted key must leave the window first.
		free := recent[over-1].at + window.Milliseconds()
		return false, time.Duration(free-millis(now)) * time.Millisecond, nil
	}
	for _, k := range fresh {
		if _, err := t.exec(ctx, `INSERT INTO contact_lookups (owner, key, at) VALUES (?, ?, ?)
			ON CONFLICT (owner, key) DO UPDATE SET at = excluded.at`, owner, k, millis(now)); err != nil {
			return false, 0, fmt.Errorf("record lookups: %w", err)
		}
	}
	return true, 0, nil
}

// ForgetLookups removes the lookups noted before before.
func (t *Tx) ForgetLookups(ctx context.Context, before time.Time) (int, error) {
	return t.count(ctx, "forget lookups", `DELETE FROM contact_lookups WHERE at < ?`, millis(before))
}

// LookedUp reports whether owner looked up any of keys after since.
func (q Queries) LookedUp(ctx context.Context, owner int64, keys [][]byte, since time.Time) (bool, error) {
	if len(keys) == 0 {
		return false, nil
	}
	args := []any{owner, millis(since)}
	for _, k := range keys {
		args = append(args, k)
	}
	ok, err := q.exists(ctx, `SELECT 1 FROM contact_lookups WHERE owner = ? AND at > ? AND key IN (?`+
		strings.Repeat(`, ?`, len(keys)-1)+`) LIMIT 1`, args...)
	if err != nil {
		return false, fmt.Errorf("looked up: %w", err)
	}
	return ok, nil
}
