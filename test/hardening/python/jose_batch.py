#!/usr/bin/python3
"""Batch JOSE operations with jwcrypto, an implementation independent of the library under test.

Reads one JSON document from stdin, {"ops": [...]}, and writes {"results": [...]} to stdout, one
result per operation, in order (one process per batch keeps the interop tests fast):

  {"op": "version"}                                -> {"ok": true, "version": "..."}
  {"op": "sign", "jwk": {private JWK}, "alg": "ES256", "header": {...}, "claims": {...},
   "compact_json": true|false}                     -> {"ok": true, "token": "<compact JWS>"}
  {"op": "verify", "token": "...", "jwk": {public JWK}, "alg": "ES256"}
                                                   -> {"ok": true, "header": {...}, "payload": "<text>"}
                                                      or {"ok": false, "error": "..."}

Test helper only; the test installs nothing (Debian: apt-get install python3-jwcrypto).
"""
import json
import sys

try:
    import jwcrypto
    from jwcrypto import jwk, jws
    from jwcrypto.common import json_decode
except ImportError as error:  # pragma: no cover - reported by the test
    sys.stderr.write("jwcrypto is not installed: apt-get install python3-jwcrypto (%s)\n" % error)
    sys.exit(3)


def key_of(member):
    return jwk.JWK(**member)


def run(op):
    kind = op.get("op")
    if kind == "version":
        try:
            from importlib.metadata import version
            return {"ok": True, "version": version("jwcrypto")}
        except Exception:
            return {"ok": True, "version": getattr(jwcrypto, "__version__", "unknown")}
    if kind == "sign":
        if op.get("compact_json", True):
            payload = json.dumps(op["claims"], separators=(",", ":"), ensure_ascii=False)
        else:
            payload = json.dumps(op["claims"], indent=1, ensure_ascii=True)
        token = jws.JWS(payload.encode("utf-8"))
        token.add_signature(key_of(op["jwk"]), alg=op["alg"], protected=json.dumps(op["header"]))
        return {"ok": True, "token": token.serialize(compact=True)}
    if kind == "verify":
        token = jws.JWS()
        token.allowed_algs = [op["alg"]]
        try:
            token.deserialize(op["token"])
            token.verify(key_of(op["jwk"]), alg=op["alg"])
        except Exception as error:  # every failure is a rejection
            return {"ok": False, "error": "%s: %s" % (type(error).__name__, error)}
        header = json_decode(token.objects["protected"])
        return {"ok": True, "header": header, "payload": token.payload.decode("utf-8")}
    return {"ok": False, "error": "unknown op %r" % (kind,)}


def main():
    request = json.load(sys.stdin)
    results = []
    for op in request["ops"]:
        try:
            results.append(run(op))
        except Exception as error:
            results.append({"ok": False, "error": "%s: %s" % (type(error).__name__, error)})
    json.dump({"results": results}, sys.stdout)


if __name__ == "__main__":
    main()
