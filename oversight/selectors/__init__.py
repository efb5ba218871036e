"""Reads of oversight: the rule's figures (`compliance`), the dashboards (`dashboard`), and a
city's roster narrowed by the rule and by current level (`roster`)."""
