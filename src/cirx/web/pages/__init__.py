"""One module per page (or pair of pages): a router with thin handlers over services."""
