#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The "Snapshot examples" of the admin guide run as written (see
# test_mirror_20_doc_examples.sh, which does the work).
VDREP_DOC_SECTION="Snapshot examples" exec bash "$(dirname "$0")/test_mirror_20_doc_examples.sh" "$@"
