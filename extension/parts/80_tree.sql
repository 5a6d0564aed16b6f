/* ------------------------------------------ the log's Merkle tree (issue 17) */

-- RFC 6962 Merkle tree over the operation log, leaf i = SHA-256(0x00 ||
-- canonical entry at seq i), stored as C2SP tlog-tiles of height 8: tile
-- (level, tile_index) holds the hashes of nodes (8 * level, 256 * tile_index
-- + k), k < width; full tiles (width 256) never change, the rightmost tile of
-- each level grows.  Written only by the audit writer, in the transaction of
-- the entries it covers (src/log/tiles.c); guarded like the log.
CREATE TABLE juki.log_tile (
	level       smallint NOT NULL CHECK (level BETWEEN 0 AND 7),
	tile_index  bigint NOT NULL CHECK (tile_index >= 0),
	width       smallint NOT NULL CHECK (width BETWEEN 1 AND 256),
	hashes      bytea NOT NULL CHECK (pg_catalog.length(hashes) = 32 * width),
	PRIMARY KEY (level, tile_index)
);
ALTER TABLE juki.log_tile ALTER COLUMN hashes SET STORAGE EXTERNAL;
COMMENT ON TABLE juki.log_tile IS
	'操作履歴の Merkle tree: C2SP tlog-tiles of height 8 (doc/MERKLE.md); written only by the audit writer';
GRANT SELECT ON juki.log_tile TO juki_auditor, juki_chief_security_officer;

-- Each checkpoint also signs the tree head as a C2SP checkpoint note.
ALTER TABLE juki.audit_checkpoint
	ADD COLUMN tree_size bigint,
	ADD COLUMN tree_root bytea,
	ADD COLUMN note text;
COMMENT ON COLUMN juki.audit_checkpoint.note IS
	'C2SP signed note: tlog-checkpoint body (origin, tree_size, base64 tree_root) signed with the checkpoint key';

CREATE FUNCTION juki.tree_head(OUT tree_size bigint, OUT root_hash bytea,
							   OUT checkpoint_size bigint, OUT checkpoint text)
	AS 'MODULE_PATHNAME', 'juki_tree_head'
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.tree_head() IS
	'The Merkle tree size and root of the 操作履歴, and the newest signed checkpoint note (auditor, chief)';

CREATE FUNCTION juki.inclusion_proof(seq bigint, tree_size bigint DEFAULT NULL,
									 OUT leaf_index bigint, OUT size bigint,
									 OUT leaf_hash bytea, OUT root_hash bytea,
									 OUT proof bytea[])
	AS 'MODULE_PATHNAME', 'juki_inclusion_proof'
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.inclusion_proof(bigint, bigint) IS
	'RFC 6962 audit path of the entry at seq in the tree of tree_size entries (NULL: now) (auditor, chief)';

CREATE FUNCTION juki.consistency_proof(old_size bigint, new_size bigint DEFAULT NULL,
									   OUT from_size bigint, OUT to_size bigint,
									   OUT old_root bytea, OUT new_root bytea,
									   OUT proof bytea[])
	AS 'MODULE_PATHNAME', 'juki_consistency_proof'
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.consistency_proof(bigint, bigint) IS
	'RFC 6962 consistency proof that the tree of new_size entries (NULL: now) extends the one of old_size (auditor, chief)';

-- Witnessing (C2SP tlog-witness): the logs this juki witnesses, with their
-- verifier keys and the latest checkpoint it cosigned; and, for this log,
-- the cosignatures its witnesses returned (src/audit/witness.c).
CREATE TABLE juki.witnessed_log (
	origin      text PRIMARY KEY,
	public_key  text NOT NULL,
	tree_size   bigint CHECK (tree_size >= 0),
	tree_root   bytea CHECK (pg_catalog.length(tree_root) = 32),
	updated_at  timestamptz
);
COMMENT ON TABLE juki.witnessed_log IS
	'Logs this juki witnesses: origin, the log''s note verifier key, the latest cosigned tree size and root';

CREATE TABLE juki.checkpoint_cosignature (
	tree_size  bigint NOT NULL,
	witness    text NOT NULL,
	key_id     text NOT NULL,
	line       text NOT NULL,
	added_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (tree_size, witness, key_id)
);
COMMENT ON TABLE juki.checkpoint_cosignature IS
	'Witnesses'' cosignature/v1 lines of this log''s checkpoint notes, verified under juki.witness_keys';

CREATE FUNCTION juki.log_key() RETURNS text
	AS 'MODULE_PATHNAME', 'juki_log_key'
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.log_key() IS
	'The C2SP verifier key of this log''s checkpoint notes, for its witnesses (access manager, auditor, chief)';

CREATE FUNCTION juki.witness_key() RETURNS text
	AS 'MODULE_PATHNAME', 'juki_witness_key'
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.witness_key() IS
	'The cosignature/v1 verifier key of this juki as a witness, for juki.witness_keys of the logs it witnesses (access manager, auditor, chief)';

CREATE FUNCTION juki.add_witnessed_log(origin text, public_key text) RETURNS void
	AS 'MODULE_PATHNAME', 'juki_add_witnessed_log'
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.add_witnessed_log(text, text) IS
	'Witness another log: its origin and note verifier key (chief)';

CREATE FUNCTION juki.witness_add_checkpoint(old_size bigint, proof bytea[], checkpoint text) RETURNS text
	AS 'MODULE_PATHNAME', 'juki_witness_add_checkpoint'
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.witness_add_checkpoint(bigint, bytea[], text) IS
	'tlog-witness add-checkpoint: check a witnessed log''s signed checkpoint and consistency proof from the stored size, return a cosignature/v1 line (auditor, chief)';

CREATE FUNCTION juki.add_cosignature(tree_size bigint, line text) RETURNS void
	AS 'MODULE_PATHNAME', 'juki_add_cosignature'
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.add_cosignature(bigint, text) IS
	'Keep a witness''s cosignature line of this log''s checkpoint note of tree_size, if it verifies under juki.witness_keys (access manager, auditor, chief)';

CREATE FUNCTION juki.report_cosignatures()
	RETURNS TABLE (seq bigint, tree_size bigint, signed_at timestamptz, witnesses text[])
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'report_cosignatures';
	n bigint;
BEGIN
	PERFORM juki._report_start(a, pg_catalog.now(), pg_catalog.now());
	RETURN QUERY
	SELECT c.seq, c.tree_size, c.ts,
		   coalesce((SELECT pg_catalog.array_agg(w.witness ORDER BY w.witness) FROM juki.checkpoint_cosignature w
					  WHERE w.tree_size = c.tree_size), '{}')
	  FROM juki.audit_checkpoint c WHERE c.note IS NOT NULL ORDER BY c.seq;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n);
END
$$;
COMMENT ON FUNCTION juki.report_cosignatures() IS
	'操作履歴: each signed checkpoint note and the witnesses that cosigned it (auditor, chief)';
