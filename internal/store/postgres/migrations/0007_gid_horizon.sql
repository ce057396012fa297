-- Catch-up without one writer at a time (docs/decisions/0017). The
-- nodes' writers now commit beside each other, so gids drawn from a
-- sequence would no longer follow commits. Instead an event's gid is
-- the id of the transaction that wrote it (plus gid_base()), and the
-- position a client keeps (LastGID, the state's gid) is a horizon: the
-- oldest transaction still running, less one. Every transaction below
-- the horizon has ended; one that commits later has a transaction id at
-- or above it, so the chat's last event has a gid above the client's
-- state and sync.getDifference reports the chat. The events of one
-- transaction share their gid.
--
-- gid_base() lifts transaction ids above the gids given before: at this
-- migration, above the sequence's; later (gid_rebase, run by every node
-- as it starts), above the gids of a database restored or copied into a
-- cluster whose transaction ids are lower.
CREATE FUNCTION gid_base() RETURNS BIGINT LANGUAGE sql STABLE AS 'SELECT CAST(0 AS BIGINT)';

-- gid_rebase sets gid_base() so that the transactions to come write
-- gids above every one stored, and returns it. It changes nothing while
-- the stored gids are below the next transaction id: they came from
-- this cluster's transactions.
CREATE FUNCTION gid_rebase() RETURNS BIGINT LANGUAGE plpgsql AS $fn$
DECLARE
	snap pg_snapshot := pg_current_snapshot();
	top  BIGINT;
	base BIGINT := gid_base();
BEGIN
	SELECT coalesce(max(gid), 0) INTO top FROM events;
	IF top < pg_snapshot_xmax(snap)::text::bigint + base THEN
		RETURN base;
	END IF;
	base := top + 1 - pg_snapshot_xmin(snap)::text::bigint;
	EXECUTE format('CREATE OR REPLACE FUNCTION gid_base() RETURNS BIGINT LANGUAGE sql STABLE AS %L',
		'SELECT CAST(' || base || ' AS BIGINT)');
	RETURN base;
END $fn$;

-- gid_horizon is the position a client may keep: every event committed
-- after it was read has a larger gid.
CREATE FUNCTION gid_horizon() RETURNS BIGINT LANGUAGE sql STABLE AS
	'SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint - 1 + gid_base()';

CREATE OR REPLACE FUNCTION events_next_gid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	NEW.gid := pg_current_xact_id()::text::bigint + gid_base();
	RETURN NEW;
END $$;

-- The sequence's gids stay below those to come.
SELECT gid_rebase();

DROP INDEX events_gid_key;
DROP SEQUENCE events_gid;
