#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The "Clone examples" of the admin guide run as written (see
# test_mirror_20_doc_examples.sh, which does the work).
VDREP_DOC_SECTION="Clone examples" exec bash "$(dirname "$0")/test_mirror_20_doc_examples.sh" "$@"
