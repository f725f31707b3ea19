# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keeping secret_access_key out of every text the collection shows or logs."""

from __future__ import annotations

import logging
import re
from html import escape as html_escape
from urllib.parse import quote, quote_plus

REDACTED = '********'
BODY_EXCERPT_CHARS = 80
# The head of a body kept for error messages: more than the excerpt shows, so that a
# secret echoed back by a server is redacted whole before the excerpt is cut, never cut
# first and leaked in part.
BODY_HEAD_BYTES = 4096

_SECRET_PARAMETER = re.compile(r'(secret_access_key=)[^&\s\'"]*')
_URLLIB3_LOGGERS = ('urllib3.connection', 'urllib3.connectionpool', 'urllib3.poolmanager', 'urllib3.response',
                    'urllib3.util.retry')


def redact(text, secret):
    """Remove the secret from text in every form a URL, form body, XML/HTML page or
    exception could carry it."""
    text = _SECRET_PARAMETER.sub(r'\1' + REDACTED, text)
    if secret:
        forms = {secret, quote_plus(secret), quote(secret, safe=''), quote(secret), html_escape(secret)}
        # Longest first, so a short form cannot break up a longer one before it is replaced.
        for form in sorted(forms, key=len, reverse=True):
            text = text.replace(form, REDACTED)
    return text


def excerpt(body, secret):
    """The first characters of a body for an error message, secret-free, on one line."""
    text = ' '.join(redact(body[:BODY_HEAD_BYTES].decode('utf-8', 'replace'), secret or '').split())
    if not text:
        return '(empty)'
    return repr(text[:BODY_EXCERPT_CHARS] + ('...' if len(text) > BODY_EXCERPT_CHARS else ''))


class _RedactingFilter(logging.Filter):
    """Takes the secret out of urllib3's log records, which carry the request URL.

    urllib3 logs every retry at WARNING and every request at DEBUG with the URL, and
    with GET the URL holds the secret; in a lookup those records reach ANSIBLE_LOG_PATH.
    """

    def filter(self, record):
        message = record.getMessage()
        if 'secret_access_key=' in message:
            record.msg, record.args = _SECRET_PARAMETER.sub(r'\1' + REDACTED, message), None
        return True


def redact_library_logs():
    for name in _URLLIB3_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, _RedactingFilter) for existing in logger.filters):
            logger.addFilter(_RedactingFilter())
