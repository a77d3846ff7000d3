"""Stripe-Signature oracle built on the official `stripe` package (never on our Rust code).

Reads a JSON list of jobs on stdin and writes a JSON list of answers on stdout:
  {"op": "sign", "secret": S, "timestamp": T, "payload": P}
      -> {"header": "t=T,v1=..."}        (stripe.WebhookSignature.generate_signature_header)
  {"op": "verify", "secret": S, "header": H, "payload": P, "tolerance": 300}
      -> {"ok": true, "event_id": ..., "event_type": ...} or {"ok": false, "error": ...}
                                          (stripe.Webhook.construct_event)
"""
import json
import sys
import time

import stripe


def sign(job):
    timestamp = int(job.get("timestamp") or time.time())
    header = stripe.WebhookSignature.generate_signature_header(job["payload"], job["secret"], timestamp=timestamp)
    return {"header": header}


def verify(job):
    try:
        event = stripe.Webhook.construct_event(job["payload"], job["header"], job["secret"], tolerance=job.get("tolerance", 300))
    except (stripe.SignatureVerificationError, ValueError) as e:
        return {"ok": False, "error": str(e)}
    return {"ok": True, "event_id": event["id"], "event_type": event["type"]}


def main():
    jobs = json.load(sys.stdin)
    out = [sign(j) if j["op"] == "sign" else verify(j) for j in jobs]
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
