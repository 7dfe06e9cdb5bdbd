"""Rules every way out of the system obeys: access, publication, audit."""
