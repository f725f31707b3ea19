# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The event source's three descriptions of its arguments (DOCUMENTATION, the YAML doc
beside it, the JSON schema) say the same as the code: the connection options of the
collection's spec and the source's own, with the same types and defaults."""

from __future__ import annotations

import json
import yaml

from ansible_collections.dialogtech.api.plugins.module_utils._options import CONNECTION_ARGUMENT_SPEC, CONNECTION_DEFAULTS
from ansible_collections.dialogtech.api.tests.unit.helpers import EVENT_SOURCE, load_event_source

EVENT_SOURCES = EVENT_SOURCE.parent
SOURCE = load_event_source()
DOCUMENTATION = yaml.safe_load(SOURCE['DOCUMENTATION'])
JSON_TYPES = {'str': 'string', 'path': 'string', 'float': 'number', 'int': 'integer', 'bool': 'boolean', 'list': 'array'}


def test_the_yaml_doc_beside_the_source_is_its_documentation():
    beside = yaml.safe_load((EVENT_SOURCES / 'sms_numbers.yaml').read_text())
    assert beside == {'DOCUMENTATION': DOCUMENTATION, 'EXAMPLES': yaml.safe_load(SOURCE['EXAMPLES'])}


def test_documented_options_are_the_connection_spec_and_the_source_arguments():
    options = DOCUMENTATION['options']
    assert list(options) == list(CONNECTION_ARGUMENT_SPEC) + list(SOURCE['SOURCE_OPTIONS'])
    for name, spec in CONNECTION_ARGUMENT_SPEC.items():
        assert (options[name]['type'], options[name].get('default'), options[name].get('choices')) == (
            spec['type'], CONNECTION_DEFAULTS[name], spec.get('choices')), name
        assert 'E(DIALOGTECH_%s)' % name.upper() in options[name]['description'], name
    assert options['interval']['default'] == SOURCE['DEFAULT_INTERVAL']
    assert 'at least %d' % SOURCE['MINIMUM_INTERVAL'] in ' '.join(options['interval']['description'])


def test_the_json_schema_matches_the_documentation():
    schema = json.loads((EVENT_SOURCES / 'schemas' / 'sms_numbers.json').read_text())
    properties = schema['properties']
    assert list(properties) == list(DOCUMENTATION['options'])
    for name, option in DOCUMENTATION['options'].items():
        assert properties[name]['type'] == JSON_TYPES[option['type']], name
        assert properties[name].get('default') == option.get('default'), name
        assert properties[name].get('enum') == option.get('choices'), name
    assert properties['interval']['minimum'] == SOURCE['MINIMUM_INTERVAL']
    assert schema['additionalProperties'] is False and 'required' not in schema


def test_the_examples_use_documented_arguments_only():
    for rulebook in yaml.safe_load(SOURCE['EXAMPLES']):
        for source in rulebook['sources']:
            assert set(source['dialogtech.api.sms_numbers']) <= set(DOCUMENTATION['options'])
