"""Framework-free functions behind the row API, exports, CKAN API and DCAT feed."""
