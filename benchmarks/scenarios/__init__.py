# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One benchmark per file, found by benchmarks/run.py; the interface is in benchmarks/README.md."""
