# SPDX-License-Identifier: GPL-2.0-or-later
"""The oracle: what each (packet, path, field) should show, from run-time facts.

Modules, leaves first: ``uapi`` (kernel constants), ``paths`` (paths, fields, path
sets), ``nic_model`` (per-driver tables; the hash, type and queue a NIC reports),
``facts`` (:class:`Facts`), ``ethtool`` (parsers), ``expectation``
(:class:`Expectation` and its constructors), ``rules`` (the rule table, :func:`expect`).
"""

from harness.oracle.ethtool import (
    parse_ethtool_driver,
    parse_ethtool_features,
    parse_ethtool_indir,
    parse_ethtool_rss_key,
    parse_rx_flow_hash,
    parse_rxfh,
)
from harness.oracle.expectation import (
    Expectation,
    errname,
    format_value,
    known_bug,
    nodata,
    not_called,
    present,
    skip,
    unsupported,
    value,
    window,
)
from harness.oracle.facts import DeterministicClock, Facts, facts_from_probe
from harness.oracle.nic_model import (
    DEFAULT_HASH_FIELDS,
    DRIVER_XDP_FEATURES,
    IGC_RX_LATENCY_NS,
    NIC_PARSED_VLAN_STACKS,
    nic_hash,
    nic_queue,
)
from harness.oracle.paths import (
    FIELDS,
    KFUNC_PATHS,
    NIC_KFUNC_PATHS,
    NIC_PATHS,
    NIC_SKB_PATHS,
    NOT_OBSERVABLE,
    PASS_PATHS,
    PATHS,
    SKB_FROM_FRAME_PATHS,
)
from harness.oracle.rules import RULES, Ctx, Rule, expect, expect_all, match_rule, rules_table
from harness.oracle.uapi import ENODATA, EOPNOTSUPP, FLOW_TYPES, FOUR_TUPLE, TWO_TUPLE

__all__ = [
    "DEFAULT_HASH_FIELDS",
    "DRIVER_XDP_FEATURES",
    "ENODATA",
    "EOPNOTSUPP",
    "FIELDS",
    "FLOW_TYPES",
    "FOUR_TUPLE",
    "IGC_RX_LATENCY_NS",
    "KFUNC_PATHS",
    "NIC_KFUNC_PATHS",
    "NIC_PARSED_VLAN_STACKS",
    "NIC_PATHS",
    "NIC_SKB_PATHS",
    "NOT_OBSERVABLE",
    "PASS_PATHS",
    "PATHS",
    "RULES",
    "SKB_FROM_FRAME_PATHS",
    "TWO_TUPLE",
    "Ctx",
    "DeterministicClock",
    "Expectation",
    "Facts",
    "Rule",
    "errname",
    "expect",
    "expect_all",
    "facts_from_probe",
    "format_value",
    "known_bug",
    "match_rule",
    "nic_hash",
    "nic_queue",
    "nodata",
    "not_called",
    "parse_ethtool_driver",
    "parse_ethtool_features",
    "parse_ethtool_indir",
    "parse_ethtool_rss_key",
    "parse_rx_flow_hash",
    "parse_rxfh",
    "present",
    "rules_table",
    "skip",
    "unsupported",
    "value",
    "window",
]
