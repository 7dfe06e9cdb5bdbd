"""Tests of the DCAT-AP-NL catalogue layer (a package, so its module names cannot clash with other folders)."""
