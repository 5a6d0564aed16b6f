# juki — PGXS build.  Out-of-tree builds work with `make -f /path/to/Makefile`
# (PGXS sets srcdir/VPATH from this file's location).  `make test` and
# `make demo` are the two commands of the README; they call scripts that also
# install packages, build as the postgres OS user and start throwaway clusters.

EXTENSION = juki
MODULE_big = juki
OBJS = \
	src/juki.o \
	src/version.o \
	src/codes.o \
	src/criteria.o \
	src/chain.o \
	src/audit.o \
	src/audit_queue.o \
	src/audit_batch.o \
	src/audit_writer.o \
	src/audit_writer_own.o \
	src/audit_writer_read.o \
	src/checkpoint.o \
	src/door.o \
	src/guard.o \
	src/guard_paths.o \
	src/redact.o \
	src/statement_text.o \
	src/log_scan.o \
	src/retention.o \
	src/sha256_agg.o \
	src/verify.o \
	src/state.o \
	src/card.o \
	src/roles.o \
	src/session.o \
	src/policy.o \
	src/disclose.o \
	src/enforcement.o

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
PG_CPPFLAGS = -DJUKI_VERSION=\"$(EXTVERSION)\"

# The offline verifier: a standalone program, installed next to pg_config's
# binaries, built from the same chain.c as the extension.
SCRIPTS_built = src/tools/juki_verify
EXTRA_CLEAN = src/tools/juki_verify test/unit/chain_test juki_test.conf keys checkpoints sign_challenge.sh login.psql town.tsv

PG_CONFIG ?= /usr/lib/postgresql/15/bin/pg_config
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
SHLIB_LINK = -lcrypto

# pg_regress: sql/<test>.sql vs expected/<test>.out, run in a temp instance so
# that juki can be in shared_preload_libraries.
REGRESS = install codes gucs oplog_format oplog_refusals oplog_verify \
	admin_operators admin_officers admin_purposes admin_registrar \
	door_setup door_session door_policy door_guard \
	contractors forms reports bypass
REGRESS_OPTS = --temp-instance=./tmp_check --temp-config=$(CURDIR)/juki_test.conf
ENCODING = UTF8
NO_LOCALE = 1

# Isolation specs and their outputs live together (PG 15 has no --expecteddir).
ISOLATION = door_concurrent door_bulk_permit door_session_slot oplog_ring
ISOLATION_OPTS = --inputdir=$(srcdir)/test/isolation \
	--temp-instance=./tmp_check_iso --temp-config=$(CURDIR)/juki_test.conf

TAP_TESTS = 1
PROVE_TESTS = $(sort $(wildcard $(srcdir)/test/t/*.pl))
PROVE_FLAGS = -I $(srcdir)/test/t

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# One database name for every suite, named in test/juki.conf as juki.database.
CONTRIB_TESTDB = juki_regression
ISOLATION_TESTDB = juki_regression

# Objects live in src/ of the build directory; make sure it exists (an
# order-only target would be found in the source tree through VPATH).
$(shell mkdir -p src/tools)

juki--$(EXTVERSION).sql: $(sort $(wildcard $(srcdir)/extension/parts/*.sql))
	cat $^ > $@

CHAIN_CFLAGS = -std=gnu99 -Wall -Wextra -Werror -Wmissing-prototypes -O2 -I$(srcdir)/src
src/tools/juki_verify: $(srcdir)/src/tools/juki_verify.c $(srcdir)/src/chain.c $(srcdir)/src/chain.h
	$(CC) $(CHAIN_CFLAGS) -o $@ $(srcdir)/src/tools/juki_verify.c $(srcdir)/src/chain.c -lcrypto
test/unit/chain_test: $(srcdir)/test/unit/chain_test.c $(srcdir)/src/chain.c $(srcdir)/src/chain.h
	@mkdir -p test/unit
	$(CC) $(CHAIN_CFLAGS) -o $@ $(srcdir)/test/unit/chain_test.c $(srcdir)/src/chain.c -lcrypto
all: src/tools/juki_verify test/unit/chain_test

# libFuzzer targets (clang): chain.c's canonical encoder and parsers,
# juki_verify's export parser, PEM and signature handling, the code
# validators, search-criteria validation, the statement-text redactor.
# Test-only; never installed.  `make test` runs each for a few seconds (test/t/040_fuzz.pl), `make fuzz` for FUZZ_SECONDS each.
FUZZ_CC = clang
FUZZ_CFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I$(srcdir)/src
FUZZ_TARGETS = test/fuzz/fuzz_canonical test/fuzz/fuzz_checkpoint test/fuzz/fuzz_export \
	test/fuzz/fuzz_pem test/fuzz/fuzz_codes test/fuzz/fuzz_criteria test/fuzz/fuzz_redact
EXTRA_CLEAN += $(FUZZ_TARGETS)
test/fuzz/fuzz_canonical: $(srcdir)/test/fuzz/fuzz_canonical.c $(srcdir)/src/chain.c
	@mkdir -p test/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $^ -lcrypto
test/fuzz/fuzz_checkpoint: $(srcdir)/test/fuzz/fuzz_checkpoint.c $(srcdir)/src/chain.c
	@mkdir -p test/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $^ -lcrypto
test/fuzz/fuzz_export: $(srcdir)/test/fuzz/fuzz_export.c $(srcdir)/src/chain.c $(srcdir)/src/tools/juki_verify.c
	@mkdir -p test/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(srcdir)/test/fuzz/fuzz_export.c $(srcdir)/src/chain.c -lcrypto
test/fuzz/fuzz_pem: $(srcdir)/test/fuzz/fuzz_pem.c $(srcdir)/src/chain.c $(srcdir)/src/card.c
	@mkdir -p test/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -I$(srcdir)/test/fuzz/shim -o $@ $^ -lcrypto
FUZZ_PG_CFLAGS = -Wno-ignored-attributes -I$(shell $(PG_CONFIG) --includedir-server)
test/fuzz/fuzz_codes: $(srcdir)/test/fuzz/fuzz_codes.c $(srcdir)/src/codes.c $(srcdir)/test/fuzz/pg_stubs.c
	@mkdir -p test/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_PG_CFLAGS) -o $@ $^
test/fuzz/fuzz_criteria: $(srcdir)/test/fuzz/fuzz_criteria.c $(srcdir)/src/criteria.c $(srcdir)/src/codes.c \
		$(srcdir)/test/fuzz/pg_stubs.c
	@mkdir -p test/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_PG_CFLAGS) -o $@ $^
test/fuzz/fuzz_redact: $(srcdir)/test/fuzz/fuzz_redact.c $(srcdir)/src/redact.c
	@mkdir -p test/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $^
.PHONY: fuzz-build fuzz
fuzz-build: $(FUZZ_TARGETS)
FUZZ_SECONDS ?= 300
fuzz: fuzz-build
	for t in $(FUZZ_TARGETS); do n=$$(basename $$t); mkdir -p fuzz-corpus/$$n; \
	  cp -n $(srcdir)/test/fuzz/corpus/$${n#fuzz_}/* fuzz-corpus/$$n/ 2>/dev/null; \
	  $$t -max_total_time=$(FUZZ_SECONDS) fuzz-corpus/$$n || exit 1; done

# Test instances sign checkpoints with a throwaway Ed25519 key that lives
# outside their data directories, as it must in production.
juki_test.conf: $(srcdir)/test/juki.conf
	mkdir -p keys checkpoints
	test -f keys/signing.pem || openssl genpkey -algorithm ed25519 -out keys/signing.pem
	openssl pkey -in keys/signing.pem -pubout -out keys/signing.pub
	for k in ed25519:"-algorithm ed25519" p256:"-algorithm EC -pkeyopt ec_paramgen_curve:P-256" \
	         rsa:"-algorithm RSA -pkeyopt rsa_keygen_bits:2048" rsa1024:"-algorithm RSA -pkeyopt rsa_keygen_bits:1024"; do \
	  n=$${k%%:*}; test -f keys/card_$$n.pem || openssl genpkey $${k#*:} -out keys/card_$$n.pem 2>/dev/null; \
	  openssl pkey -in keys/card_$$n.pem -pubout -out keys/card_$$n.pub; done
	cp $(srcdir)/test/sign_challenge.sh $(srcdir)/test/fixtures/*.psql .
	perl $(srcdir)/test/demo/gen_town.pl --residents 200 > town.tsv
	(cat $<; echo "juki.signing_key_file = '$(CURDIR)/keys/signing.pem'"; \
	 echo "juki.checkpoint_directory = '$(CURDIR)/checkpoints'") > $@

# PGXS defines the recipe but no target for TAP tests against an installation.
.PHONY: prove_installcheck regresscheck isolationcheck
prove_installcheck: test/unit/chain_test src/tools/juki_verify juki_test.conf fuzz-build
	$(prove_installcheck)
regresscheck: submake $(REGRESS_PREP) juki_test.conf
	rm -rf checkpoints/*
	$(pg_regress_installcheck) $(REGRESS_OPTS) $(REGRESS)
isolationcheck: juki_test.conf
	$(pg_isolation_regress_installcheck) $(ISOLATION_OPTS) $(ISOLATION)

# The README's two commands.  Both are safe to run as root (CI) or as a user
# with sudo; see test/run.sh.
.PHONY: test demo bench
test:
	$(srcdir)/test/run.sh test
demo:
	$(srcdir)/test/run.sh demo
# Not part of make test: the benchmarks of issue 6 in one throwaway cluster,
# test/bench/door_bench.sh (~15 min; knobs in the script's header).
bench:
	$(srcdir)/test/run.sh bench
