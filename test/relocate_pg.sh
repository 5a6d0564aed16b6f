#!/usr/bin/env bash
# test/relocate_pg.sh DEST [PGBIN] — a private, relocated copy of the
# PostgreSQL 15 installation (binaries, libraries, share and headers) under
# DEST, without juki.  PostgreSQL finds its files relative to its binaries,
# so DEST/usr/lib/postgresql/15/bin/pg_config answers with paths inside DEST.
# Used by make test to run the released 1.0 library beside the new one, and
# by developers who build several branches at once (JUKI_PGBIN=DEST/usr/lib/
# postgresql/15/bin make test): `make install` then writes into DEST only.
set -euo pipefail
dest=${1:?usage: $0 DEST [PGBIN]}
pgbin=${2:-/usr/lib/postgresql/15/bin}
lib=$("$pgbin/pg_config" --pkglibdir)		# …/lib/postgresql/15/lib
top=$(cd "$pgbin/.." && pwd)				# …/lib/postgresql/15
share=$("$pgbin/pg_config" --sharedir)
inc=$("$pgbin/pg_config" --includedir)
rm -rf "$dest"
mkdir -p "$dest$(dirname "$top")" "$dest$(dirname "$share")" "$dest$(dirname "$inc")"
cp -a "$top" "$dest$top"
cp -a "$share" "$dest$share"
ln -s "$inc" "$dest$inc"
rm -f "$dest$lib"/juki.so "$dest$lib"/bitcode/juki.index.bc "$dest$share"/extension/juki[.-]*
rm -rf "$dest$lib"/bitcode/juki "$dest$top"/bin/juki_verify
echo "$dest$top/bin"
