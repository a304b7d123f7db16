"""The data layer: one schema declaration per file (``schema``), the one reader with precise
errors (``io``, its value rules in ``checks``), the cleaning choices (``params``) and the
report's row accounting (``accounting``), the Parquet cache (``cache``) and the
:class:`~kuailive_analysis.data.data_source.DataSource` record (``data_source``). The cleaning
rules and the data model are SQL (:mod:`kuailive_analysis.engine.queries`); the one entry point
is :func:`kuailive_analysis.dataset.load`."""
