"""What every file import shares (django-import-export): all or nothing, and the blank rows spreadsheets add."""

from tablib import Dataset


class AllOrNothingImport:
    """A resource mixin: a file imports whole or not at all, for every caller. The admin's confirm step passes
    no rollback flag of its own, and without `rollback_on_validation_errors` import-export commits the valid
    rows of a file whose other rows failed validation."""

    def import_data(
        self,
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=None,
        collect_failed_rows=False,
        rollback_on_validation_errors=False,
        **kwargs,
    ):
        return super().import_data(
            dataset,
            dry_run=dry_run,
            raise_errors=raise_errors,
            use_transactions=True,
            collect_failed_rows=collect_failed_rows,
            rollback_on_validation_errors=True,
            **kwargs,
        )


def blank_rows_drop(dataset: Dataset) -> None:
    """Spreadsheets often carry formatted but empty rows after the data."""
    while len(dataset) and all(value in (None, "") for value in dataset[-1]):
        del dataset[-1]
