# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsing the API's XML answers safely, as they stream in.

Every action answers a ``<response>`` with ``<result>`` and ``<result_description>``;
``sms.get_numbers`` adds ``<data>`` with its ``<number>`` elements.  One parser reads
them all, so a write's answer is judged exactly as a read's.
"""

from __future__ import annotations

import re
import traceback
from collections import namedtuple
from types import SimpleNamespace
from xml.etree.ElementTree import ParseError, XMLParser

try:
    from defusedxml import DefusedXmlException
    from defusedxml.expatreader import DefusedExpatParser
    from xml.sax import SAXException, SAXParseException
    from xml.sax.handler import ContentHandler
except ImportError:
    DEFUSEDXML_IMPORT_ERROR = traceback.format_exc()
    ContentHandler = object
else:
    DEFUSEDXML_IMPORT_ERROR = None

from ansible_collections.dialogtech.api.plugins.module_utils._errors import DialogTechError
from ansible_collections.dialogtech.api.plugins.module_utils._redaction import BODY_HEAD_BYTES, excerpt

# A compact record per number: the 100,000-number account must stay within a small
# multiple of its body size, which one dict per number would not.  Adapters turn the
# records into dicts (``as_dicts``) at the edge.
SmsNumber = namedtuple('SmsNumber', ['number', 'sms_enabled', 'url'])
# ``numbers`` is empty for the answers of actions that return none (the writes).
ApiResponse = namedtuple('ApiResponse', ['numbers', 'result_description'])
_new_tuple = tuple.__new__

_SMS_ENABLED_VALUES = {'1': True, 'true': True, 'yes': True, '0': False, 'false': False, 'no': False}
_SUCCESS_RESULTS = ('', 'success')
_HTML_START = re.compile(br'\s*(<!--.*?-->\s*)*<(!doctype\s+html|html)[\s>]', re.IGNORECASE | re.DOTALL)
_DECLARED_ENCODING = re.compile(br'^\s*<\?xml[^>]*encoding\s*=\s*["\']([A-Za-z0-9._-]+)')


def as_dicts(numbers):
    return [number._asdict() for number in numbers]


class _RootReached(Exception):
    """Raised by the prolog guard once the document's root element starts."""


class _StopAtRoot(ContentHandler):
    def startElement(self, name, attrs):
        raise _RootReached()


def _parse_error_text(exc):
    """expat's complaint and where, worded alike for the guard (SAX) and the C parser."""
    if isinstance(exc, SAXParseException):
        return '%s: line %s, column %s' % (exc.getMessage(), exc.getLineNumber(), exc.getColumnNumber())
    return exc.getMessage() if isinstance(exc, SAXException) else str(exc)


def _describe_refusal(exc):
    kind = type(exc).__name__
    if kind == 'EntitiesForbidden':
        return 'it declares the XML entity %r (entities are never expanded)' % exc.name
    if kind == 'ExternalReferenceForbidden':
        return 'it references the external resource %r (never fetched)' % (exc.sysid or exc.pubid)
    return 'it contains %s' % kind


class _ShapeError(DialogTechError):
    """The document is XML but not an answer of the API."""


def _response_target():
    """An XMLParser target that turns ``<response>`` into an ApiResponse as it streams.

    Depth 1 is ``<response>``, 2 its fields, 3 a ``<number>`` in ``<data>``, 4 an
    optional ``<url>`` child of a number (the vendor's DTD declares one).  Text directly
    in a field or a number, and in a field's children, counts; text deeper down does not.

    ``start`` and ``end`` run for every number, so their state lives in closure variables,
    which are cheaper to read and write than an instance's attributes, and character data
    goes straight into one list with no Python call: the C parser then does most of the
    work, as in a bare ElementTree parse (benchmarks/RESULTS.md, benchmark 1).
    """
    fields = {}
    numbers = []
    text = []  # character data since the current field or number started
    marks = []  # where in ``text`` each open element deeper than a number starts
    depth = 0
    in_data = False
    attributes = url_element = None

    def start(tag, attrs):
        nonlocal depth, in_data, attributes, url_element
        depth += 1
        if depth == 3:
            if in_data:
                if tag != 'number':
                    raise _ShapeError('has an unexpected <%s> element in <data>' % tag)
                attributes, url_element = attrs, None
                text.clear()
        elif depth == 2:
            in_data = tag == 'data'
            text.clear()
        elif depth == 1:
            if tag != 'response':
                raise _ShapeError('has root element <%s>, expected <response>' % tag)
        else:
            if depth == 4 and in_data and tag != 'url':
                raise _ShapeError('has an unexpected <%s> element in <number>' % tag)
            marks.append(len(text))

    def end(tag):
        nonlocal depth, url_element
        depth -= 1
        if depth == 2:
            if in_data:
                numbers.append(_number(''.join(text).strip(), attributes, url_element))
        elif depth == 1:
            if not in_data:
                fields[tag] = ''.join(text).strip()
        elif depth > 2:
            mark = marks.pop()
            if depth == 3 and in_data:
                url_element = ''.join(text[mark:])
            del text[mark:]

    def close():
        if 'result' not in fields:
            raise _ShapeError('has no <result> element')
        result, description = fields['result'], fields.get('result_description', '')
        if result.lower() not in _SUCCESS_RESULTS:
            raise DialogTechError('DialogTech API reported %r: %s' % (result, description or '(no description)'))
        return ApiResponse(numbers, description)

    return SimpleNamespace(start=start, end=end, data=text.append, close=close)


def _number(number, attributes, url_element):
    if not number:
        raise _ShapeError('has a <number> element without a number')
    enabled = attributes.get('sms_enabled', '0')
    # The API writes 0 or 1, which need no normalising.
    sms_enabled = _SMS_ENABLED_VALUES.get(enabled)
    if sms_enabled is None:
        enabled = enabled.strip().lower()
        if enabled not in _SMS_ENABLED_VALUES:
            raise _ShapeError('gives number %s sms_enabled=%r, expected 0 or 1' % (number, enabled))
        sms_enabled = _SMS_ENABLED_VALUES[enabled]
    url = attributes.get('url', url_element)
    # tuple.__new__ skips the Python-level __new__ that namedtuple generates.
    return _new_tuple(SmsNumber, (number, sms_enabled, (url.strip() or None) if url else None))


class ResponseParser(object):
    """Incremental parser of an API answer.

    Safety and speed are split on purpose.  Entities and external references can only
    be declared in the prolog (the DOCTYPE), so defusedxml's expat reader reads the
    prolog, allowing the vendor's inline DTD but refusing entity declarations and
    external references, and stops at the root element.  The body, which for a large
    account is nearly all of the bytes, then goes through the C XMLParser into
    ``_ResponseTarget``, which keeps only the records: no element tree is built, so time
    and memory stay close to a bare ElementTree parse.
    """

    def __init__(self, secret=None):
        self._guard = DefusedExpatParser(forbid_dtd=False, forbid_entities=True, forbid_external=True)
        self._guard.setContentHandler(_StopAtRoot())
        self._prolog = []
        self._target = _response_target()
        self._parser = None
        self._head = b''
        self._fed = 0
        self._secret = secret

    def feed(self, chunk):
        if len(self._head) < BODY_HEAD_BYTES:
            self._head += chunk[:BODY_HEAD_BYTES - len(self._head)]
        offset, self._fed = self._fed, self._fed + len(chunk)
        try:
            if self._parser is None:
                self._guard_prolog(chunk)
            else:
                self._parser.feed(chunk)
        except (ParseError, SAXException) as exc:
            raise self._malformed(self._not_utf8(chunk, offset)
                                  or 'is not well-formed XML (%s)' % _parse_error_text(exc))
        except _ShapeError as exc:
            raise self._malformed(str(exc))

    def close(self):
        if not self._head.strip():
            raise self._error('is empty')
        # Everything fed so far was well-formed, so any complaint now is that the
        # document stops part-way.
        incomplete = 'ends before the XML document is complete, as if truncated (%s)'
        if self._parser is None:
            raise self._malformed(incomplete % 'its root element never starts')
        try:
            return self._parser.close()
        except ParseError as exc:
            raise self._malformed(incomplete % exc)
        except _ShapeError as exc:
            raise self._malformed(str(exc))

    def _guard_prolog(self, chunk):
        self._prolog.append(chunk)
        try:
            self._guard.feed(chunk)
        except _RootReached:
            self._parser = XMLParser(target=self._target)
            for part in self._prolog:
                self._parser.feed(part)
            self._prolog = None
        except DefusedXmlException as exc:
            raise self._error('was refused: %s' % _describe_refusal(exc))

    def _not_utf8(self, chunk, offset):
        """Describe the chunk as not UTF-8 if that is why it failed to parse, else None.

        Only when the document declares no other encoding (the vendor's declare UTF-8);
        a multi-byte character split at the chunk's end is not an error.
        """
        declared = _DECLARED_ENCODING.match(self._head)
        if declared and declared.group(1).lower().replace(b'_', b'-') not in (b'utf-8', b'utf8'):
            return None
        try:
            chunk.decode('utf-8')
        except UnicodeDecodeError as exc:
            if exc.end < len(chunk) or exc.reason != 'unexpected end of data':
                return 'is not valid UTF-8 (byte 0x%02x at offset %d)' % (chunk[exc.start], offset + exc.start)
        return None

    def _malformed(self, problem):
        # An HTML page (a login form, a proxy's or load balancer's error page) is the
        # usual malformed answer; the XML parser's complaint about it would only confuse.
        if _HTML_START.match(self._head):
            problem = "is an HTML page, not the API's XML (a login, maintenance or proxy page?)"
        return self._error(problem)

    def _error(self, problem):
        return DialogTechError('DialogTech API response %s; body starts: %s'
                               % (problem, excerpt(self._head, self._secret)))
