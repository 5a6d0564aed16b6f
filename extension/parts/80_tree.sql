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
