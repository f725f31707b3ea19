# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's own exception types; every adapter turns them into its own error."""

from __future__ import annotations


class DialogTechError(Exception):
    """Every failure of the client, with a one-line message that is safe to show.

    ``definite``: the API answered and refused the request itself (wrong keys, an HTTP
    4xx other than 408 and 429), so asking again gets the same answer and a cache may
    keep it.  Any other failure (a timeout, HTTP 429 or 5xx, a broken connection, an
    unreadable answer) may pass, and must not outlive the request.
    """

    def __init__(self, message, definite=False):
        super(DialogTechError, self).__init__(message)
        self.definite = definite


class UncertainOutcome(DialogTechError):
    """A write request reached the server, but no answer says whether it took effect.

    Writes are never retried blindly: the caller reads the state back instead.
    """


class ApiRefusal(DialogTechError):
    """The API read the request and refused it (its ``failed`` result): nothing changed."""

    def __init__(self, message):
        super(ApiRefusal, self).__init__(message, definite=True)
