"""Verifies webhook deliveries with the official Standard Webhooks library.

Reads one JSON object per line on stdin: {"secret", "headers", "body"}; prints one line per
object: "ok" if `standardwebhooks.Webhook(secret).verify(body, headers)` accepts it, else
"rejected: <why>". The library checks the signature and that the timestamp is within five
minutes of now.
"""

import json
import sys

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

for line in sys.stdin:
    case = json.loads(line)
    try:
        Webhook(case["secret"]).verify(case["body"], case["headers"], json_parse=False)
        print("ok", flush=True)
    except WebhookVerificationError as e:
        print("rejected: %s" % e, flush=True)
