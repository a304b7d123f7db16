"""The application layer: the book (papermill runs, site build) and the ``kuailive`` CLI."""
