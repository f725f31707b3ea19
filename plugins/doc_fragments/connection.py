# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    # Options shared by every plugin that calls the API.  No option has a default or an
    # env entry here: every plugin resolves an unset option by one rule in code
    # (module_utils/_options.py from_environment), environment then default, so that
    # module_defaults beat the environment and an invalid variable is named.  The PLUGINS
    # fragment adds the vars and ini sources of the other plugin types.
    DOCUMENTATION = r'''
options:
  access_key:
    description:
      - Access Key from the Key Manager of the DialogTech account.
      - If not set, the E(DIALOGTECH_ACCESS_KEY) environment variable is used.
    type: str
  secret_access_key:
    description:
      - Secret Access Key from the Key Manager of the DialogTech account.
      - If not set, the E(DIALOGTECH_SECRET_ACCESS_KEY) environment variable is used.
      - Never shown in results, messages, logs, caches or reports.
        Keep it in Ansible Vault or an AWX/AAP credential.
    type: str
  api_url:
    description:
      - URL of the DialogTech API endpoint.
      - If not set, the E(DIALOGTECH_API_URL) environment variable is used, else
        V(https://secure.dialogtech.com/ibp_api.php).
      - Change it only for a proxy in front of the API or a test emulator.
    type: str
  http_method:
    description:
      - V(GET) sends the parameters in the query string, as the vendor documents.
      - V(POST) sends them as a form body, which keeps the secret out of URLs and of
        proxy and server access logs.
      - If not set, the E(DIALOGTECH_HTTP_METHOD) environment variable is used, else V(GET).
    type: str
    choices: [GET, POST]
  timeout:
    description:
      - Seconds to wait for the connection and for each read from the API. A server
        that sends nothing for this long fails the call with a message saying it timed
        out; that is not retried.
      - If not set, the E(DIALOGTECH_TIMEOUT) environment variable is used, else V(30).
    type: float
  total_timeout:
    description:
      - Upper bound in seconds on the whole call, retries and their waits included.
        No wait for a retry begins that would end after it, and reading the response
        stops once it has passed; an attempt under way can still take up to O(timeout).
      - If not set, the E(DIALOGTECH_TOTAL_TIMEOUT) environment variable is used, else V(120).
    type: float
  retries:
    description:
      - How often to retry after a connection error (refused, reset, closed before an
        answer) or an HTTP 429, 502, 503 or 504 answer, with exponential backoff
        (0.5 s, 1 s, 2 s, ...) or, on 429 and 503, the wait the server asks for in
        C(Retry-After), at most 30 seconds.
      - Other HTTP errors, TLS errors, timeouts and an API C(failed) result are never
        retried.
      - A write (the M(dialogtech.api.dialogtech_sms_number) module) is retried only when
        the request cannot have reached the API (a refused or failed connection, or an HTTP
        429 or 503 answer). After a timeout, a connection closed before the answer or another
        5xx answer, the module reads the number back instead of sending the write again.
      - If not set, the E(DIALOGTECH_RETRIES) environment variable is used, else V(3).
    type: int
  validate_certs:
    description:
      - Whether to verify the API's TLS certificate. Leave on outside of tests.
      - V(false) turns verification off even when O(ca_path) is set.
      - If not set, the E(DIALOGTECH_VALIDATE_CERTS) environment variable is used, else V(true).
    type: bool
  ca_path:
    description:
      - PEM file of the CA certificates to trust instead of the system's, for a
        TLS-intercepting proxy or a private CA, or a directory of them prepared with
        C(openssl rehash). A path that does not exist or cannot be read is an error before
        any request.
      - If not set, the E(DIALOGTECH_CA_PATH) environment variable is used, else the
        E(REQUESTS_CA_BUNDLE) or E(CURL_CA_BUNDLE) environment variable, else the CA
        bundle of the C(certifi) package.
    type: path
  max_response_bytes:
    description:
      - Largest response body accepted, in bytes; the download stops as soon as it is
        passed. About 100 bytes per number, so the default fits over 600,000 numbers.
      - If not set, the E(DIALOGTECH_MAX_RESPONSE_BYTES) environment variable is used,
        else V(67108864) (64 MiB).
    type: int
notes:
  - An option that is not set is taken from the E(DIALOGTECH_<NAME>) environment variable
    of the host the plugin runs on, else it has the default given above. An empty
    variable counts as unset; a value that is not valid for the option is an error
    naming the variable. A module's task options and C(module_defaults) come before the
    environment; so do a lookup's keywords and C(dialogtech_*) variables, and its
    C(ansible.cfg) settings come after it (C(docs/credentials.md)).
  - Proxies are taken from the standard environment variables E(HTTPS_PROXY) (for
    V(https://) URLs), E(HTTP_PROXY) (for V(http://)), E(ALL_PROXY) and E(NO_PROXY),
    or their lower-case forms, where the call runs (the controller for lookups).
  - A redirect is followed only within the origin (scheme, host and port) of O(api_url);
    one elsewhere, or from V(https://) to V(http://), fails the call rather than send
    the credentials there.
  - Failures and what to do about them are described in C(docs/troubleshooting.md).
requirements:
  - requests
  - defusedxml
'''

    PLUGINS = r'''
options:
  access_key:
    ini:
      - section: dialogtech
        key: access_key
    vars:
      - name: dialogtech_access_key
  secret_access_key:
    ini:
      - section: dialogtech
        key: secret_access_key
    vars:
      - name: dialogtech_secret_access_key
  api_url:
    ini:
      - section: dialogtech
        key: api_url
    vars:
      - name: dialogtech_api_url
  http_method:
    ini:
      - section: dialogtech
        key: http_method
    vars:
      - name: dialogtech_http_method
  timeout:
    ini:
      - section: dialogtech
        key: timeout
    vars:
      - name: dialogtech_timeout
  total_timeout:
    ini:
      - section: dialogtech
        key: total_timeout
    vars:
      - name: dialogtech_total_timeout
  retries:
    ini:
      - section: dialogtech
        key: retries
    vars:
      - name: dialogtech_retries
  validate_certs:
    ini:
      - section: dialogtech
        key: validate_certs
    vars:
      - name: dialogtech_validate_certs
  ca_path:
    ini:
      - section: dialogtech
        key: ca_path
    vars:
      - name: dialogtech_ca_path
  max_response_bytes:
    ini:
      - section: dialogtech
        key: max_response_bytes
    vars:
      - name: dialogtech_max_response_bytes
'''
