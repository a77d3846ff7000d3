"""A real SMTP server (aiosmtpd) for the mail tests.

Usage: smtp_sink.py MAILDIR [--fail CODE:COUNT]

Listens on 127.0.0.1 at a free port and prints `PORT <n>` once ready. Every accepted
message is written to MAILDIR as <n>.eml (the bytes received, envelope in X-Envelope-*
headers prepended). With --fail 451:2 the first two DATA commands are answered
"451 4.3.0 Try again later"; with --fail 550:* every one is answered "550 5.1.1 Mailbox
unavailable". Each DATA received is logged to MAILDIR/attempts.log as its answer code.
"""

import argparse
import asyncio
import os
import socket
import sys

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, maildir, code, count):
        self.maildir = maildir
        self.code = code
        self.count = count
        self.seen = 0
        self.stored = 0

    def log(self, answer):
        with open(os.path.join(self.maildir, "attempts.log"), "a") as f:
            f.write(answer + "\n")

    async def handle_DATA(self, server, session, envelope):
        self.seen += 1
        if self.code and (self.count is None or self.seen <= self.count):
            answer = (
                "451 4.3.0 Try again later"
                if self.code.startswith("4")
                else "550 5.1.1 Mailbox unavailable"
            )
            self.log(answer[:3])
            return answer
        self.stored += 1
        head = "X-Envelope-From: %s\r\nX-Envelope-To: %s\r\n" % (
            envelope.mail_from,
            ", ".join(envelope.rcpt_tos),
        )
        path = os.path.join(self.maildir, "%d.eml" % self.stored)
        with open(path + ".tmp", "wb") as f:
            f.write(head.encode() + envelope.original_content)
        os.rename(path + ".tmp", path)
        self.log("250")
        return "250 OK"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("maildir")
    p.add_argument("--fail", default="")
    a = p.parse_args()
    code, count = None, None
    if a.fail:
        code, n = a.fail.split(":")
        count = None if n == "*" else int(n)
    os.makedirs(a.maildir, exist_ok=True)
    port = free_port()
    controller = Controller(Sink(a.maildir, code, count), hostname="127.0.0.1", port=port)
    controller.start()
    print("PORT %d" % port, flush=True)
    try:
        sys.stdin.read()  # until the test closes our stdin (or dies)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
