//! From a row's cells to a record's values: the columns found in the
//! header, every cell checked, the time parsed.
//!
//! A row is refused, with its reason, when it has another number of cells
//! than the header (or, without a header, than the first row), when a
//! mapped or time cell is not valid UTF-8 or is empty, when the time does
//! not match the pattern, or when it is over the size limits. Cells are
//! trimmed of surrounding spaces and tabs. Cells that are not mapped are
//! not looked at.

use super::request::{ColumnRef, ImportUsageError};
use super::rows::Row;
use super::time::TimeSpec;

/// The columns of one file, resolved.
#[derive(Debug, Clone)]
pub struct Mapping {
    cells: Vec<(usize, String)>,
    time_cells: Vec<(usize, String)>,
    width: usize,
    from_header: bool,
}

/// One good row's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapped {
    /// The mapped cells, in `--column` order.
    pub values: Vec<String>,
    /// The row's time, seconds since the epoch.
    pub timestamp: i64,
}

impl Mapping {
    /// Finds `columns` and `time_columns` in `header` (names), or takes
    /// them as numbers into rows of `width` cells when there is no header.
    pub fn resolve(
        columns: &[(String, ColumnRef)],
        time_columns: &[ColumnRef],
        header: Option<&[String]>,
        width: usize,
        file: &str,
    ) -> Result<Self, ImportUsageError> {
        let find = |column: &ColumnRef| -> Result<(usize, String), ImportUsageError> {
            match (column, header) {
                (ColumnRef::Name(name), Some(header)) => header
                    .iter()
                    .position(|h| h == name)
                    .map(|i| (i, format!("{name:?}")))
                    .ok_or_else(|| {
                        ImportUsageError(format!(
                            "column {name:?} is not in the header of {file}; its columns are: {}",
                            header
                                .iter()
                                .map(|h| format!("{h:?}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ))
                    }),
                (ColumnRef::Index(i), None) if *i < width => Ok((*i, format!("column {}", i + 1))),
                (ColumnRef::Index(i), None) => Err(ImportUsageError(format!(
                    "column {} is past the {width} columns of the first row of {file}",
                    i + 1
                ))),
                (column, _) => Err(ImportUsageError(format!(
                    "column {column} cannot be used with this file's header setting"
                ))),
            }
        };
        Ok(Mapping {
            cells: columns
                .iter()
                .map(|(_, c)| find(c))
                .collect::<Result<_, _>>()?,
            time_cells: time_columns.iter().map(find).collect::<Result<_, _>>()?,
            width,
            from_header: header.is_some(),
        })
    }

    /// How many cells each row must have.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The row's values, or why it is refused.
    pub fn map(&self, row: &Row<'_>, time: &TimeSpec) -> Result<Mapped, String> {
        if row.oversized {
            return Err(format!(
                "the row is longer than {} MiB or has more than {} cells (an unclosed quote?)",
                super::rows::MAX_ROW_BYTES >> 20,
                super::rows::MAX_FIELDS
            ));
        }
        if row.len() != self.width {
            let first = if self.from_header {
                "the header"
            } else {
                "the first row"
            };
            return Err(format!(
                "{} cells, but {first} has {}",
                row.len(),
                self.width
            ));
        }
        let values = self
            .cells
            .iter()
            .map(|(i, name)| cell(row, *i, name).map(str::to_owned))
            .collect::<Result<Vec<_>, _>>()?;
        let times = self
            .time_cells
            .iter()
            .map(|(i, name)| cell(row, *i, name))
            .collect::<Result<Vec<_>, _>>()?;
        let timestamp = time.parse(&times)?;
        Ok(Mapped { values, timestamp })
    }
}

fn cell<'r>(row: &'r Row<'_>, i: usize, name: &str) -> Result<&'r str, String> {
    let text = std::str::from_utf8(row.cell(i))
        .map_err(|_| format!("cell {name} is not valid UTF-8"))?
        .trim_matches([' ', '\t']);
    if text.is_empty() {
        return Err(format!("cell {name} is empty"));
    }
    Ok(text)
}
