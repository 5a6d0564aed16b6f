#!/bin/sh
# Test-only stand-in for an operator's IC card: sign a challenge (hex) with a
# PEM private key and print the signature in hex.  Ed25519 signs the raw
# challenge; ECDSA P-256 and RSA-2048 sign its SHA-256 (DER ECDSA, PKCS#1
# v1.5), as juki verifies them.  Never installed with juki.
# usage: sign_challenge.sh KEY.pem HEX
set -e
key=$1
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
perl -e 'print pack("H*", $ARGV[0])' "$2" > "$tmp"
if openssl pkey -in "$key" -noout -text 2>/dev/null | head -1 | grep -q ED25519; then
	openssl pkeyutl -sign -inkey "$key" -rawin -in "$tmp"
else
	openssl dgst -sha256 -sign "$key" "$tmp"
fi | od -An -v -tx1 | tr -d ' \n'
