#!/usr/bin/python3
"""A small counter client (窓口の業務端末) for juki, through a transaction pool.

What an application does with juki, in the order it happens:

1. Log an operator in with the operator's IC card (操作者用ICカード): ask
   juki.card_challenge(card) for 32 random bytes, let the card sign them
   (here: a Card object holding the private key, as the card's chip does),
   and send the signature and the operator's password to juki.card_login();
   the answer is a session token.  The application's own login role is a
   member of juki_terminal, which lets it act for many operators; the token
   proves the card and the password.
2. Serve lookups with the one-statement form juki.lookup(purpose, code,
   token): it attaches the session and discloses in one call, so it works
   in autocommit and through pgbouncer in transaction pooling, where the
   next statement may run on another server connection.
3. Bind every value as a parameter on the server (psycopg 3's default
   cursor, extended protocol): the token and the resident code never travel
   inside the statement text, so they never reach a log of statements.
   Automatic prepared statements are off (prepare_threshold=None):
   pgbouncer in transaction pooling cannot keep them.
4. On a refusal, read the reason code from the error's constraint_name
   field (also in DETAIL as "reason: <code>"), never from the message,
   which is in the language of lc_messages; act on it (ACTIONS below).

Usage (examples/README in the main README, "Writing an application"):
  counter_client.py --dsn "host=127.0.0.1 port=6432 dbname=town user=terminal" \
      --operator CARD-0007:/path/card.pem:password \
      --operator CARD-0008:/path/card2.pem:password2 \
      --terminal madoguchi-03 --purpose wide_area_copy_issuance CODE [CODE ...]
The operators' lookups are interleaved: code 1 by the first, code 2 by the
second, and so on.  One line is printed per lookup.
"""
import argparse
import sys

import psycopg
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

# What the counter does with each reason juki gives (README "Reasons").
ACTIONS = {
    "not_authenticated": "log in again (the session ended, or the server restarted)",
    "session_locked": "unlock with a new card challenge: juki.unlock(token, signature, password)",
    "authentication_failed": "check the card and the password; the operator locks after repeated failures",
    "card_unknown": "ask the access manager (アクセス管理責任者) to register the card",
    "card_revoked": "ask the access manager for a new card",
    "card_expired": "ask the access manager for a new card",
    "operator_locked": "ask the access manager to unlock the operator",
    "not_designated": "ask the security officer (セキュリティ責任者) for a designation (指名)",
    "designation_expired": "ask the security officer to renew the designation",
    "no_permit": "request a permit (許可) and have the security officer approve it",
    "permit_expired": "request a new permit",
    "outside_hours": "outside operating hours: a permit with off_hours is needed",
    "training_missing": "the operator needs the operator training (研修) first",
    "resident_restricted": "the resident is under a support measure (DV等支援措置): refer to the security officer",
    "volume_exceeded": "too many residents: a bulk permit is needed",
    "emergency_stop": "juki is stopped (作動停止): wait for the chief security officer",
    "audit_unavailable": "retry later; tell the system administrator (the audit writer is not answering)",
}


class Card:
    """Stands in for an operator's IC card: signs a challenge with its key."""

    def __init__(self, serial, pem_path):
        self.serial = serial
        with open(pem_path, "rb") as f:
            self._key = serialization.load_pem_private_key(f.read(), password=None)

    def sign(self, challenge):
        # Ed25519 signs the challenge itself; ECDSA P-256 and RSA-2048 its
        # SHA-256 (DER ECDSA, PKCS#1 v1.5), as juki verifies them.
        if isinstance(self._key, ed25519.Ed25519PrivateKey):
            return self._key.sign(challenge)
        if isinstance(self._key, ec.EllipticCurvePrivateKey):
            return self._key.sign(challenge, ec.ECDSA(hashes.SHA256()))
        if isinstance(self._key, rsa.RSAPrivateKey):
            return self._key.sign(challenge, padding.PKCS1v15(), hashes.SHA256())
        raise ValueError("unsupported card key")


def reason_of(err):
    """The reason code of a juki refusal: a field, not prose."""
    return err.diag.constraint_name or "unknown"


def login(conn, card, password, terminal):
    """Card challenge, the card's signature, the password: a session token.

    terminal names the counter terminal (業務端末); juki records it in every
    entry of the session, so the log tells which counter asked.
    """
    challenge = conn.execute("SELECT juki.card_challenge(%s)", [card.serial]).fetchone()[0]
    token = conn.execute("SELECT juki.card_login(%s, %s, %s, %s)",
                         [card.serial, card.sign(bytes(challenge)), password, terminal]).fetchone()[0]
    return token


def lookup(conn, purpose, code, token):
    """One resident in one statement; None when there is no such resident."""
    cur = conn.execute("SELECT * FROM juki.lookup(%s, %s, %s)", [purpose, code, token])
    row = cur.fetchone()
    if row is None:
        return None
    names = [d.name for d in cur.description]
    rec = dict(zip(names, row))
    # only what the purpose discloses (disclosed_fields), in that order
    return {f: rec[f] for f in rec["disclosed_fields"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dsn", required=True, help="the pool (pgbouncer), as the terminal role")
    ap.add_argument("--operator", action="append", required=True,
                    help="CARD_SERIAL:KEY_PEM:PASSWORD (give two for interleaved operators)")
    ap.add_argument("--purpose", required=True)
    ap.add_argument("--terminal", required=True, help="this counter terminal's id (業務端末)")
    ap.add_argument("--logout", action="store_true", help="log the operators out at the end")
    ap.add_argument("codes", nargs="+")
    args = ap.parse_args()

    # autocommit: every statement its own transaction, as most frameworks do;
    # the one-statement lookup needs nothing more
    conn = psycopg.connect(args.dsn, autocommit=True, prepare_threshold=None)
    operators = []
    for spec in args.operator:
        serial, pem, password = spec.split(":", 2)
        card = Card(serial, pem)
        try:
            operators.append((serial, login(conn, card, password, args.terminal)))
        except psycopg.Error as e:
            r = reason_of(e)
            print(f"login {serial}: refused, reason {r}: {ACTIONS.get(r, 'see README Reasons')}")
            return 1
        print(f"login {serial}: ok")

    status = 0
    for i, code in enumerate(args.codes):
        serial, token = operators[i % len(operators)]
        try:
            rec = lookup(conn, args.purpose, code, token)
        except psycopg.Error as e:
            r = reason_of(e)
            print(f"{serial} {code}: refused, reason {r} ({e.diag.sqlstate}): "
                  f"{ACTIONS.get(r, 'see README Reasons')}")
            status = 2
            continue
        if rec is None:
            print(f"{serial} {code}: no such resident for this purpose")
        else:
            print(f"{serial} {code}: " + ", ".join(f"{k}={v}" for k, v in rec.items()))
    if args.logout:
        for serial, token in operators:
            conn.execute("SELECT juki.logout(%s)", [token])
            print(f"logout {serial}: ok")
    conn.close()
    return status


if __name__ == "__main__":
    sys.exit(main())
