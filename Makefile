# juki — PGXS build.  Out-of-tree builds work with `make -f /path/to/Makefile`
# (PGXS sets srcdir/VPATH from this file's location).  `make test` and
# `make demo` are the two commands of the README; they call scripts that also
# install packages, build as the postgres OS user and start throwaway clusters.

EXTENSION = juki
MODULE_big = juki
OBJS = \
	src/juki.o \
	src/format/buf.o \
	src/format/json_scan.o \
	src/format/json.o \
	src/format/json_check.o \
	src/format/hash.o \
	src/format/timestamp.o \
	src/format/entry.o \
	src/format/checkpoint.o \
	src/format/export.o \
	src/format/merkle.o \
	src/format/tile.o \
	src/format/note.o \
	src/format/witness.o \
	src/core/settings.o \
	src/core/message.o \
	src/core/msg_templates.o \
	src/core/context.o \
	src/core/objects.o \
	src/core/spi.o \
	src/core/result.o \
	src/core/state.o \
	src/core/version.o \
	src/log/record.o \
	src/log/jsonb_canon.o \
	src/log/append.o \
	src/log/refusal.o \
	src/log/head.o \
	src/log/wal.o \
	src/log/filing.o \
	src/log/slot_keeper.o \
	src/log/writer.o \
	src/log/inserter.o \
	src/log/writer_own.o \
	src/log/continuity.o \
	src/log/writer_read.o \
	src/log/columns.o \
	src/log/canon_row.o \
	src/log/scan.o \
	src/log/signing.o \
	src/log/enforcement.o \
	src/log/form_ledger.o \
	src/log/retention.o \
	src/log/tiles.o \
	src/log/tree_read.o \
	src/access/caller.o \
	src/access/identity.o \
	src/access/duties.o \
	src/guard/guard.o \
	src/guard/guard_context.o \
	src/guard/guard_ident.o \
	src/guard/guard_objects.o \
	src/guard/guard_paths.o \
	src/guard/guard_files.o \
	src/guard/guard_settings.o \
	src/guard/guard_catalog.o \
	src/guard/guard_definitions.o \
	src/guard/role_statements.o \
	src/guard/redact.o \
	src/guard/statement_text.o \
	src/door/codes.o \
	src/door/criteria.o \
	src/door/card.o \
	src/door/session_table.o \
	src/door/login.o \
	src/door/session.o \
	src/door/policy_cache.o \
	src/door/policy.o \
	src/door/resident.o \
	src/door/visibility.o \
	src/door/request.o \
	src/door/disclose.o \
	src/door/search.o \
	src/door/statement_rows.o \
	src/door/volume.o \
	src/door/staging.o \
	src/door/pgcrypto_fn.o \
	src/audit/verify.o \
	src/audit/export.o \
	src/audit/purge.o \
	src/audit/tree.o \
	src/audit/verify_tree.o \
	src/audit/verify_scan.o \
	src/audit/witness.o \
	src/sql/internal.o \
	src/sql/emergency.o \
	src/sql/status.o \
	src/sql/sha256_agg.o

# Versions.  The version is written once, as default_version in juki.control;
# the C code gets it as JUKI_VERSION.  Released scripts are frozen files in
# extension/ (juki--1.0.sql, then upgrade scripts juki--A--B.sql), listed with
# their SHA-256 in extension/released.sha256.  The newest full script is
# assembled from extension/parts/*.sql (one concern each, in name order;
# 99_grants.sql last, since privileges follow every object); the upgrade test
# (test/t/050_upgrade.pl) checks that it equals 1.0 plus the upgrade scripts.
JUKI_TOP := $(dir $(firstword $(MAKEFILE_LIST)))
EXTVERSION := $(shell sed -n "s/^default_version *= *'\([^']*\)'.*/\1/p" $(JUKI_TOP)juki.control)
DATA = $(patsubst $(JUKI_TOP)%,%,$(sort $(wildcard $(JUKI_TOP)extension/juki--*.sql)))
DATA_built = juki--$(EXTVERSION).sql
# core/textdomain.h comes first in every file of juki.so: ereport() then
# translates with juki's own catalog (nls.mk).
PG_CPPFLAGS = -DJUKI_VERSION=\"$(EXTVERSION)\" -include $(srcdir)/src/core/textdomain.h -I$(srcdir)/src

# The offline verifier: a standalone program, installed next to pg_config's
# binaries, built from the same src/format as the extension.
SCRIPTS_built = src/tools/juki_verify
EXTRA_CLEAN = src/tools/juki_verify test/unit/chain_test test/unit/fastpath_call juki_test.conf keys checkpoints sign_challenge.sh login.psql town.tsv

PG_CONFIG ?= /usr/lib/postgresql/15/bin/pg_config
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
SHLIB_LINK = -lcrypto

# pg_regress: sql/<test>.sql vs expected/<test>.out.  `make installcheck`
# (PGXS; what pg_buildext installcheck and debian/tests run) runs them against
# a running server set up as test/juki.conf says, found through PGHOST, PGPORT
# and PGUSER; test/installcheck_prep.sh checks that server first.  make test
# runs them in a temp instance instead (regresscheck, below).
REGRESS = install codes gucs oplog_format oplog_refusals oplog_verify oplog_tree \
	admin_operators admin_officers admin_purposes admin_registrar \
	door_setup door_session door_policy door_guard \
	contractors forms reports bypass door_volume registrar_safety definer_review \
	api_refusals door_visibility
# juki's messages in Japanese need the ja_JP.UTF-8 locale, which make test
# generates (test/run.sh) but a package build or `make installcheck` may
# lack: run by regresscheck (make test) only, after the others.
JUKI_NLS_REGRESS ?= messages_ja
# pg_regress would first DROP DATABASE IF EXISTS, which juki refuses on a
# server where it is loaded; installcheck-prep creates the database as
# pg_regress would, and pg_regress uses it as it is (--use-existing).
REGRESS_OPTS = --use-existing
REGRESS_PREP = installcheck-prep
ENCODING = UTF8
NO_LOCALE = 1
TEMP_INSTANCE_OPTS = --temp-config=$(CURDIR)/juki_test.conf

# Isolation specs and their outputs live together (PG 15 has no --expecteddir).
# Not in `make installcheck`: they need dblink and a database of their own.
JUKI_ISOLATION = door_concurrent import_race form_serial door_bulk_permit door_session_slot oplog_ring
ISOLATION_OPTS = --inputdir=$(srcdir)/test/isolation --dbname=juki_regression

# TAP tests (test/t) start their own clusters: make test runs them through
# prove_installcheck; they are not part of `make installcheck` either.
PROVE_TESTS = $(sort $(wildcard $(srcdir)/test/t/*.pl))
PROVE_FLAGS = -I $(srcdir)/test/t
EXTRA_CLEAN += tmp_check tmp_check_iso output_iso

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# One database name for every suite, named in test/juki.conf as juki.database.
CONTRIB_TESTDB = juki_regression

# Objects live in src/ of the build directory; make sure it exists (an
# order-only target would be found in the source tree through VPATH).
$(shell mkdir -p src/tools po $(sort $(dir $(OBJS))))

juki--$(EXTVERSION).sql: $(sort $(wildcard $(srcdir)/extension/parts/*.sql))
	cat $^ > $@

# juki's messages in other languages (nls.mk, po/, src/core/message.c): the
# PL/pgSQL functions' messages for xgettext, and the catalog's templates
# compiled into juki.so.
po/sql_messages.c: $(srcdir)/po/sql_messages.pl $(sort $(wildcard $(srcdir)/extension/parts/*.sql))
	perl $< $(filter %.sql,$^) > $@
src/core/msg_templates.c: $(srcdir)/po/templates.pl $(srcdir)/po/ja.po
	perl $^ > $@
EXTRA_CLEAN += po/sql_messages.c src/core/msg_templates.c po/juki.pot

# The log's public format (src/format: canonical entries, JSON, the hash
# chain, checkpoint lines, export files): libc and libcrypto only, linked
# into juki.so (OBJS above), juki_verify, the unit test and the fuzzers.
CHAIN_CFLAGS = -std=gnu99 -Wall -Wextra -Werror -Wmissing-prototypes -O2 -I$(srcdir)/src
CHAIN_SRC = $(addprefix $(srcdir)/src/format/,buf.c json_scan.c json.c json_check.c hash.c \
	timestamp.c entry.c checkpoint.c export.c)
CHAIN_HDRS = $(wildcard $(srcdir)/src/format/*.h)
VERIFY_SRC = $(addprefix $(srcdir)/src/tools/,verify_export.c export_reader.c)
VERIFY_TREE_SRC = $(srcdir)/src/tools/verify_tree.c $(addprefix $(srcdir)/src/format/,merkle.c tile.c note.c witness.c)
VERIFY_HDRS = $(wildcard $(srcdir)/src/tools/*.h)
src/tools/juki_verify: $(srcdir)/src/tools/juki_verify.c $(VERIFY_SRC) $(VERIFY_TREE_SRC) $(CHAIN_SRC) $(VERIFY_HDRS) $(CHAIN_HDRS)
	$(CC) $(CHAIN_CFLAGS) $(COPT) -o $@ $(srcdir)/src/tools/juki_verify.c $(VERIFY_SRC) $(VERIFY_TREE_SRC) $(CHAIN_SRC) -lcrypto
test/unit/chain_test: $(srcdir)/test/unit/chain_test.c $(CHAIN_SRC) $(CHAIN_HDRS)
	@mkdir -p test/unit
	$(CC) $(CHAIN_CFLAGS) -o $@ $(srcdir)/test/unit/chain_test.c $(CHAIN_SRC) -lcrypto
# A fast-path (PQfn) client for the side-door test; test-only, never installed.
test/unit/fastpath_call: $(srcdir)/test/unit/fastpath_call.c
	@mkdir -p test/unit
	$(CC) $(CHAIN_CFLAGS) -I$(shell $(PG_CONFIG) --includedir) -o $@ $< \
		-L$(shell $(PG_CONFIG) --libdir) -lpq
all: src/tools/juki_verify test/unit/chain_test test/unit/fastpath_call

# The Merkle tree, tiles, signed notes, checkpoints, cosignatures and the
# witness check (src/format, doc/MERKLE.md): libc and libcrypto only, like
# the log format above.  Its unit test is run by test/t/003_merkle_unit.pl.
FORMAT_SRCS = $(srcdir)/src/format/merkle.c $(srcdir)/src/format/tile.c \
	$(srcdir)/src/format/note.c $(srcdir)/src/format/witness.c
FORMAT_HDRS = $(srcdir)/src/format/merkle.h $(srcdir)/src/format/note.h
MERKLE_TEST_SRCS = $(srcdir)/test/unit/merkle_test.c $(srcdir)/test/unit/tile_test.c \
	$(srcdir)/test/unit/note_test.c $(srcdir)/test/unit/witness_test.c
test/unit/merkle_test: $(MERKLE_TEST_SRCS) $(srcdir)/test/unit/merkle_test.h $(FORMAT_SRCS) $(FORMAT_HDRS)
	@mkdir -p test/unit
	$(CC) $(CHAIN_CFLAGS) -I$(srcdir)/test/unit -o $@ $(MERKLE_TEST_SRCS) $(FORMAT_SRCS) -lcrypto
all: test/unit/merkle_test
EXTRA_CLEAN += test/unit/merkle_test test/bench/merkle_bench
# Not part of make test: leaf hashes and tree root of 1,000,000 entries of
# ~600 bytes on one and two threads (MERKLE_BENCH_N to change the count).
test/bench/merkle_bench: $(srcdir)/test/bench/merkle_bench.c $(FORMAT_SRCS) $(FORMAT_HDRS)
	@mkdir -p test/bench
	$(CC) $(CHAIN_CFLAGS) -o $@ $(srcdir)/test/bench/merkle_bench.c \
		$(srcdir)/src/format/merkle.c $(srcdir)/src/format/tile.c -lcrypto -lpthread
.PHONY: merkle-bench
merkle-bench: test/bench/merkle_bench
	./test/bench/merkle_bench

# libFuzzer targets (clang): src/format's canonical encoder and parsers,
# juki_verify's export parser, PEM and signature handling, the code
# validators, search-criteria validation, the statement-text redactor,
# src/format's signed notes, checkpoints, keys (fuzz_note) and proofs, tile
# paths, witness requests and tlog-proof files (fuzz_proof).
# Test-only; never installed.  `make test` runs each for a few seconds (test/t/040_fuzz.pl), `make fuzz` for FUZZ_SECONDS each.
FUZZ_CC = clang
FUZZ_CFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I$(srcdir)/src
FUZZ_TARGETS = test/fuzz/fuzz_canonical test/fuzz/fuzz_checkpoint test/fuzz/fuzz_export \
	test/fuzz/fuzz_pem test/fuzz/fuzz_codes test/fuzz/fuzz_criteria test/fuzz/fuzz_redact \
	test/fuzz/fuzz_note test/fuzz/fuzz_proof
EXTRA_CLEAN += $(FUZZ_TARGETS)
test/fuzz/fuzz_canonical: $(srcdir)/test/fuzz/fuzz_canonical.c $(CHAIN_SRC)
	@mkdir -p test/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $^ -lcrypto
test/fuzz/fuzz_checkpoint: $(srcdir)/test/fuzz/fuzz_checkpoint.c $(CHAIN_SRC)
	@mkdir -p test/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $^ -lcrypto
test/fuzz/fuzz_export: $(srcdir)/test/fuzz/fuzz_export.c $(CHAIN_SRC) $(VERIFY_SRC)
	@mkdir -p test/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(srcdir)/test/fuzz/fuzz_export.c $(VERIFY_SRC) $(CHAIN_SRC) -lcrypto
test/fuzz/fuzz_pem: $(srcdir)/test/fuzz/fuzz_pem.c $(CHAIN_SRC) $(srcdir)/src/door/card.c
	@mkdir -p test/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -I$(srcdir)/test/fuzz/shim -o $@ $^ -lcrypto
FUZZ_PG_CFLAGS = -Wno-ignored-attributes -I$(shell $(PG_CONFIG) --includedir-server)
test/fuzz/fuzz_codes: $(srcdir)/test/fuzz/fuzz_codes.c $(srcdir)/src/door/codes.c $(srcdir)/test/fuzz/pg_stubs.c
	@mkdir -p test/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_PG_CFLAGS) -o $@ $^
test/fuzz/fuzz_criteria: $(srcdir)/test/fuzz/fuzz_criteria.c $(srcdir)/src/door/criteria.c $(srcdir)/src/door/codes.c \
		$(srcdir)/test/fuzz/pg_stubs.c
	@mkdir -p test/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_PG_CFLAGS) -o $@ $^
test/fuzz/fuzz_redact: $(srcdir)/test/fuzz/fuzz_redact.c $(srcdir)/src/guard/redact.c
	@mkdir -p test/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $^
test/fuzz/fuzz_note: $(srcdir)/test/fuzz/fuzz_note.c $(FORMAT_SRCS) $(FORMAT_HDRS)
	@mkdir -p test/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(srcdir)/test/fuzz/fuzz_note.c $(FORMAT_SRCS) -lcrypto
test/fuzz/fuzz_proof: $(srcdir)/test/fuzz/fuzz_proof.c $(FORMAT_SRCS) $(FORMAT_HDRS)
	@mkdir -p test/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(srcdir)/test/fuzz/fuzz_proof.c $(FORMAT_SRCS) -lcrypto
.PHONY: fuzz-build fuzz
fuzz-build: $(FUZZ_TARGETS)
FUZZ_SECONDS ?= 300
fuzz: fuzz-build
	for t in $(FUZZ_TARGETS); do n=$$(basename $$t); mkdir -p fuzz-corpus/$$n; \
	  cp -n $(srcdir)/test/fuzz/corpus/$${n#fuzz_}/* fuzz-corpus/$$n/ 2>/dev/null; \
	  $$t -max_total_time=$(FUZZ_SECONDS) fuzz-corpus/$$n || exit 1; done

# What the tests read on the client side: the test card keys, the stand-in
# for an IC card, the psql login fixture and a small synthetic town.
.PHONY: test-fixtures installcheck-prep
test-fixtures:
	mkdir -p keys
	for k in ed25519:"-algorithm ed25519" p256:"-algorithm EC -pkeyopt ec_paramgen_curve:P-256" \
	         rsa:"-algorithm RSA -pkeyopt rsa_keygen_bits:2048" rsa1024:"-algorithm RSA -pkeyopt rsa_keygen_bits:1024"; do \
	  n=$${k%%:*}; test -f keys/card_$$n.pem || openssl genpkey $${k#*:} -out keys/card_$$n.pem 2>/dev/null; \
	  openssl pkey -in keys/card_$$n.pem -pubout -out keys/card_$$n.pub; done
	cp $(srcdir)/test/sign_challenge.sh $(srcdir)/test/fixtures/*.psql .
	perl $(srcdir)/test/demo/gen_town.pl --residents 200 > town.tsv

# Test instances sign checkpoints with a throwaway Ed25519 key that lives
# outside their data directories, as it must in production.
juki_test.conf: $(srcdir)/test/juki.conf test-fixtures
	mkdir -p checkpoints
	test -f keys/signing.pem || openssl genpkey -algorithm ed25519 -out keys/signing.pem
	openssl pkey -in keys/signing.pem -pubout -out keys/signing.pub
	(cat $<; echo "juki.signing_key_file = '$(CURDIR)/keys/signing.pem'"; \
	 echo "juki.checkpoint_directory = '$(CURDIR)/checkpoints'") > $@

# `make installcheck`: the server must be ready (and keys/signing.pub is its key's).
installcheck-prep: test-fixtures
	sh $(srcdir)/test/installcheck_prep.sh '$(bindir)/psql' $(CONTRIB_TESTDB)

# PGXS defines the recipe but no target for TAP tests against an installation.
# regresscheck and isolationcheck are make test's: each in a temp instance
# with test/juki.conf (initdb runs as the calling user, never as root).
.PHONY: prove_installcheck packagecheck regresscheck isolationcheck
prove_installcheck: test/unit/chain_test test/unit/merkle_test test/unit/fastpath_call src/tools/juki_verify \
		juki_test.conf fuzz-build
	$(prove_installcheck)
# make test's package suite, once it has installed the Debian package:
# test/package/*.pl against the system's PostgreSQL 15.
packagecheck: PROVE_TESTS = $(sort $(wildcard $(srcdir)/test/package/*.pl))
packagecheck: juki_test.conf
	$(prove_installcheck)
regresscheck: juki_test.conf
	rm -rf checkpoints/*
	$(pg_regress_installcheck) $(filter-out --use-existing,$(REGRESS_OPTS)) --temp-instance=./tmp_check $(TEMP_INSTANCE_OPTS) $(REGRESS) $(JUKI_NLS_REGRESS)
isolationcheck: juki_test.conf
	$(pg_isolation_regress_installcheck) $(ISOLATION_OPTS) --temp-instance=./tmp_check_iso \
		$(TEMP_INSTANCE_OPTS) $(JUKI_ISOLATION)

# The README's commands.  All are safe to run as root (CI) or as a user
# with sudo; see test/run.sh.  `make package` builds the Debian package
# postgresql-15-juki (debian/) in the build directory.
.PHONY: test demo bench bench-filing package
test:
	$(srcdir)/test/run.sh test
demo:
	$(srcdir)/test/run.sh demo
package:
	$(srcdir)/test/run.sh package
# Not part of make test: the benchmarks of issue 6 in one throwaway cluster,
# test/bench/door_bench.sh (~15 min; knobs in the script's header).
bench:
	$(srcdir)/test/run.sh bench
# Only the audit writer's filing rate (issue 16): FILING_ROUNDS rounds of
# FILING_ENTRIES lookups logged with the writer stopped, then filed; PERF=1
# adds a perf profile of the writer (~3 min).
bench-filing:
	FILING_ONLY=1 FILING_ROUNDS=$${FILING_ROUNDS:-3} $(srcdir)/test/run.sh bench
