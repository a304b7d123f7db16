"""The data layer: one schema declaration per file (``schema``), reading and validation with
precise errors (``io``), cleaning rules counted by rule (``clean``), the Parquet cache
(``cache``), the :class:`~kuailive_analysis.data.data_source.DataSource` record
(``data_source``), the data model (``features``) and the one entry point
:func:`kuailive_analysis.dataset.load`."""
