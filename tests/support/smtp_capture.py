"""A real SMTP server for Spendboard's tests (aiosmtpd): every message it accepts is
decoded and appended as one JSON line to OUT (from, to, subject, text, html), so a test can
read what arrived. Usage: python3 smtp_capture.py PORT OUT"""

import email
import email.policy
import json
import sys
import time

from aiosmtpd.controller import Controller


class Capture:
    def __init__(self, out):
        self.out = out

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        record = {
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "subject": str(message["subject"]),
            "message_id": str(message["message-id"]),
            "text": text.get_content() if text else None,
            "html": html.get_content() if html else None,
        }
        with open(self.out, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        return "250 Message accepted for delivery"


if __name__ == "__main__":
    port, out = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Capture(out), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()
