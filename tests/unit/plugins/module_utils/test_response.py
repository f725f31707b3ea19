# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsing the API answers: the vendor example, shapes, malformed and hostile documents."""

from __future__ import annotations

import builtins
import io
import socket
import urllib.request
from unittest import mock

import pytest

from ansible_collections.dialogtech.api.plugins.module_utils._errors import DialogTechError
from ansible_collections.dialogtech.api.plugins.module_utils._response import ApiResponse, ResponseParser, SmsNumber, as_dicts
from ansible_collections.dialogtech.api.tests.unit.helpers import (
    EMULATOR_DIR, SECRET, XXE_CANARY, VENDOR_EXAMPLE_NUMBERS, emulator_module,
)


PROLOG = emulator_module.VENDOR_PROLOG


def document(numbers='', result='', description='[n] Number(s) Returned', prolog=PROLOG):
    return ('%s<response>\n\t<result>%s</result>\n\t<result_description>%s</result_description>\n'
            '\t<data>\n%s\t</data>\n</response>\n' % (prolog, result, description, numbers)).encode('utf-8')


def parse(body, chunk=None, secret=None):
    parser = ResponseParser(secret)
    step = chunk or max(len(body), 1)
    for offset in range(0, len(body), step):
        parser.feed(body[offset:offset + step])
    return parser.close()


def excerpt(body):
    """What an error message shows of a body: its first 80 characters, on one line."""
    text = ' '.join(body.decode('utf-8', 'replace').split())
    return repr(text[:80] + ('...' if len(text) > 80 else '')) if text else '(empty)'


def parse_error(body, **kwargs):
    with pytest.raises(DialogTechError) as caught:
        parse(body, **kwargs)
    return str(caught.value)


VENDOR_EXAMPLE = (EMULATOR_DIR / 'vendor-example-response.xml').read_bytes()


def test_vendor_example_parses_to_its_one_number():
    result = parse(VENDOR_EXAMPLE)
    assert as_dicts(result.numbers) == VENDOR_EXAMPLE_NUMBERS
    assert result.result_description == '[1] Number(s) Returned'


def test_vendor_example_fed_byte_by_byte():
    assert as_dicts(parse(VENDOR_EXAMPLE, chunk=1).numbers) == VENDOR_EXAMPLE_NUMBERS


def test_vendor_example_split_at_every_offset():
    for cut in range(1, len(VENDOR_EXAMPLE)):
        parser = ResponseParser()
        parser.feed(VENDOR_EXAMPLE[:cut])
        parser.feed(VENDOR_EXAMPLE[cut:])
        assert as_dicts(parser.close().numbers) == VENDOR_EXAMPLE_NUMBERS, cut


def test_zero_numbers():
    assert parse(document()) == ApiResponse([], '[n] Number(s) Returned')


def test_zero_numbers_without_data_element():
    body = b'<response><result>success</result><result_description>none</result_description></response>'
    assert parse(body) == ApiResponse([], 'none')


def test_many_numbers_keep_order_and_leading_zeros():
    numbers = ''.join('<number sms_enabled="1" url="https://x.example/%d">%010d</number>\n' % (i, i)
                      for i in range(500))
    result = parse(document(numbers), chunk=997)
    assert len(result.numbers) == 500
    assert result.numbers[0] == SmsNumber('0000000000', True, 'https://x.example/0')
    assert result.numbers[-1] == SmsNumber('0000000499', True, 'https://x.example/499')


@pytest.mark.parametrize('element, url', [
    ('<number sms_enabled="1" url="http://a.example/x">5559990000</number>', 'http://a.example/x'),
    ('<number sms_enabled="1">5559990000<url>http://b.example/y</url></number>', 'http://b.example/y'),
    ('<number sms_enabled="1">5559990000<url> http://b.example/z </url></number>', 'http://b.example/z'),
    ('<number sms_enabled="1">5559990000</number>', None),
    ('<number sms_enabled="1" url="">5559990000</number>', None),
    ('<number sms_enabled="1" url="   ">5559990000</number>', None),
    ('<number sms_enabled="1">5559990000<url>  </url></number>', None),
    ('<number sms_enabled="1">5559990000<url/></number>', None),
    ('<number sms_enabled="1" url="http://a.example/&amp;q">5559990000</number>', 'http://a.example/&q'),
])
def test_url_sources(element, url):
    assert parse(document(element)).numbers == [SmsNumber('5559990000', True, url)]


def test_attribute_url_wins_over_element():
    element = '<number sms_enabled="0" url="http://attr.example">5559990000<url>http://elem.example</url></number>'
    assert parse(document(element)).numbers == [SmsNumber('5559990000', False, 'http://attr.example')]


def test_leading_zero_number_stays_a_string():
    assert parse(document('<number sms_enabled="1">0055599900</number>')).numbers[0].number == '0055599900'


@pytest.mark.parametrize('attribute, enabled', [
    ('sms_enabled="1"', True), ('sms_enabled="0"', False), ('sms_enabled=" 1 "', True),
    ('sms_enabled="true"', True), ('sms_enabled="No"', False), ('', False),
])
def test_sms_enabled_values(attribute, enabled):
    assert parse(document('<number %s>5559990000</number>' % attribute)).numbers[0].sms_enabled is enabled


@pytest.mark.parametrize('value', ['2', 'maybe', ''])
def test_sms_enabled_invalid_is_an_error_naming_the_number(value):
    message = parse_error(document('<number sms_enabled="%s">5559990000</number>' % value))
    assert "gives number 5559990000 sms_enabled=%r, expected 0 or 1" % value in message


@pytest.mark.parametrize('result', ['', 'success', 'Success', ' success '])
def test_success_results(result):
    assert parse(document('<number sms_enabled="1">5559990000</number>', result=result)).numbers


@pytest.mark.parametrize('result', ['failed', 'error', 'pending'])
def test_other_results_are_errors_with_the_description(result):
    message = parse_error(document(result=result, description='Invalid Access Key'))
    assert message == "DialogTech API reported %r: Invalid Access Key" % result


@pytest.mark.parametrize('result', ['success', ''])
def test_a_write_answer_has_a_description_and_no_numbers(result):
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<response>\n\t<result>%s</result>\n'
            '\t<result_description>Number 5559990000 registered</result_description>\n</response>\n' % result)
    assert parse(body.encode()) == ApiResponse([], 'Number 5559990000 registered')


def test_a_refused_write_is_an_error_with_the_description():
    body = emulator_module.render_failure('Access denied: this API key is not permitted to use sms.register_number')
    assert parse_error(body) == ("DialogTech API reported 'failed': Access denied: this API key is not permitted "
                                 "to use sms.register_number")


def test_failed_without_description():
    assert parse_error(b'<response><result>failed</result></response>') == \
        "DialogTech API reported 'failed': (no description)"


@pytest.mark.parametrize('body, problem', [
    (b'<error><message>moved</message></error>', 'has root element <error>, expected <response>'),
    (b'<response><data><number>5559990000</number></data></response>', 'has no <result> element'),
    (b'<response><result/><data><item>1</item></data></response>', 'has an unexpected <item> element in <data>'),
    (b'<response><result/><data><number><b>1</b></number></data></response>',
     'has an unexpected <b> element in <number>'),
    (b'<response><result/><data><number sms_enabled="1"> </number></data></response>',
     'has a <number> element without a number'),
    (b'Service temporarily unavailable', 'is not well-formed XML (syntax error: line 1, column 0)'),
    (b'<response><result></response>', 'is not well-formed XML (mismatched tag: line 1, column 20)'),
    (b'', 'is empty'),
    (b'  \n\t ', 'is empty'),
    (b'<?xml version="1.0"?>\n<!-- nothing -->\n',
     'ends before the XML document is complete, as if truncated (its root element never starts)'),
    (b'<response><result>&nbsp;</result></response>', 'is not well-formed XML (undefined entity: line 1, column 18)'),
])
def test_malformed_bodies_name_the_problem_and_the_first_bytes(body, problem):
    message = parse_error(body)
    assert message.startswith('DialogTech API response %s; body starts: ' % problem)
    assert message.endswith('body starts: ' + excerpt(body))


@pytest.mark.parametrize('cut', [1, 40, len(PROLOG) + 30, len(VENDOR_EXAMPLE) - 20, len(VENDOR_EXAMPLE) - 2])
def test_truncated_document(cut):
    message = parse_error(VENDOR_EXAMPLE[:cut])
    assert message.startswith('DialogTech API response ends before the XML document is complete, as if truncated (')
    assert message.endswith('body starts: ' + excerpt(VENDOR_EXAMPLE[:cut]))


def test_html_page_is_named_as_such():
    page = b'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Sign in</title></head><body></body></html>'
    message = parse_error(page)
    assert message.startswith("DialogTech API response is an HTML page, not the API's XML")
    assert "body starts: '<!DOCTYPE html> <html><head>" in message


def test_well_formed_html_is_named_as_html_too():
    assert "is an HTML page" in parse_error(b'<!-- x --><html><body>Login</body></html>')


def test_excerpt_is_cut_and_on_one_line():
    message = parse_error(b'not xml\n\n' + b'x' * 500)
    assert message.endswith("body starts: 'not xml " + 'x' * 72 + "...'")


def test_non_utf8_body():
    body = b'<?xml version="1.0" encoding="UTF-8"?>\n<response><result_description>caf\xe9</result_description>'
    message = parse_error(body + b'</response>')
    assert message.startswith('DialogTech API response is not valid UTF-8 (byte 0xe9 at offset %d)' % body.index(b'\xe9'))


def test_utf8_character_split_across_chunks_is_fine():
    body = document('<number sms_enabled="1" url="http://caf\u00e9.example/\u00e9">5559990000</number>',
                    description='N\u00famero \u00e9\u00e9')
    assert parse(body, chunk=1).numbers[0].url == 'http://caf\u00e9.example/\u00e9'


def test_other_declared_encoding_is_parsed():
    body = (b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<response><result/>'
            b'<result_description>caf\xe9</result_description></response>')
    assert parse(body).result_description == 'caf\u00e9'


# Hostile documents.  Each would parse (and leak or expand) if the guard let it through,
# so each is refused by the guard and not by some later accident.
BILLION_LAUGHS = (EMULATOR_DIR / 'faults' / 'billion-laughs.xml').read_bytes()
XXE_LOCAL_FILE = (EMULATOR_DIR / 'faults' / 'xxe-local-file.xml').read_bytes().replace(
    b'{data_dir}', str(EMULATOR_DIR).encode())
EXTERNAL_DTD = b'''<?xml version="1.0"?>
<!DOCTYPE response SYSTEM "http://127.0.0.1:9/response.dtd">
<response><result/><result_description>&fetched;</result_description></response>'''
HOSTILE = {
    'billion laughs': (BILLION_LAUGHS, "was refused: it declares the XML entity 'lol' (entities are never expanded)"),
    'xxe local file': (XXE_LOCAL_FILE, "was refused: it declares the XML entity 'xxe' (entities are never expanded)"),
    'external dtd': (EXTERNAL_DTD, "was refused: it references the external resource "
                                   "'http://127.0.0.1:9/response.dtd' (never fetched)"),
    'public external dtd': (EXTERNAL_DTD.replace(b'SYSTEM', b'PUBLIC "-//X//Y"'),
                            "was refused: it references the external resource 'http://127.0.0.1:9/response.dtd'"),
    'external parameter entity': (b'<!DOCTYPE response [<!ENTITY % ext SYSTEM "http://127.0.0.1:9/x.dtd"> %ext;]>'
                                  b'<response><result/></response>',
                                  "was refused: it declares the XML entity 'ext' (entities are never expanded)"),
    'internal entity': (b'<!DOCTYPE response [<!ENTITY e "x">]><response><result>&e;</result></response>',
                        "was refused: it declares the XML entity 'e'"),
}


@pytest.mark.parametrize('name', sorted(HOSTILE))
@pytest.mark.parametrize('chunk', [None, 1, 7])
def test_hostile_documents_are_refused_without_file_or_network_access(name, chunk):
    body, problem = HOSTILE[name]
    opened, connected, fetched = mock.Mock(side_effect=OSError), mock.Mock(side_effect=OSError), \
        mock.Mock(side_effect=OSError)
    with mock.patch.object(builtins, 'open', opened), mock.patch.object(io, 'open', opened), \
            mock.patch.object(socket.socket, 'connect', connected), \
            mock.patch.object(urllib.request, 'urlopen', fetched):
        message = parse_error(body, chunk=chunk)
    assert message.startswith('DialogTech API response %s' % problem)
    assert not (opened.called or connected.called or fetched.called)
    assert XXE_CANARY not in message and 'lollol' not in message


def test_excerpt_never_shows_part_of_a_secret_cut_at_its_end():
    body = b'x' * 75 + SECRET.encode() + b' tail'
    message = parse_error(body, secret=SECRET)
    assert SECRET[:4] not in message
    assert message.endswith("body starts: '" + 'x' * 75 + "*****...'")


# Which text counts where the vendor's layout is left: direct text of a number, a field
# and a field's children; never text nested deeper, nor stray text between numbers.
@pytest.mark.parametrize('chunk', [None, 1, 5])
def test_nested_and_stray_text(chunk):
    numbers = ('stray<number sms_enabled="1">555<url>http://a.example<x>not<y>this</y></x>/b</url>0000</number>'
               ' more stray <number sms_enabled=" YES ">5550000001</number>')
    result = parse(document(numbers, description='a<b>b<c>c</c>d</b>e'), chunk=chunk)
    assert result.numbers == [SmsNumber('5550000', True, 'http://a.example/b'), SmsNumber('5550000001', True, None)]
    assert result.result_description == 'abde'
