"""Built-in connectors to public sources, each registered under its name like a third party's would be."""
