//! Standard output, tables and dates.
//!
//! Everything goes through [`Out`], which turns a closed pipe into
//! [`Failure::Closed`] instead of `print!`'s panic.

use std::io::{self, BufWriter, StdoutLock, Write};

use comfy_table::presets::NOTHING;
use comfy_table::{CellAlignment, Table};
use serde::Serialize;

use crate::failure::Failure;

/// Buffered standard output.
pub(crate) struct Out {
    inner: BufWriter<StdoutLock<'static>>,
}

impl Out {
    /// The process's standard output.
    pub(crate) fn stdout() -> Self {
        Out { inner: BufWriter::new(io::stdout().lock()) }
    }

    /// Writes text as it is.
    pub(crate) fn text(&mut self, text: &str) -> Result<(), Failure> {
        Ok(self.inner.write_all(text.as_bytes())?)
    }

    /// Writes one JSON object and a newline.
    pub(crate) fn json_line(&mut self, value: &impl Serialize) -> Result<(), Failure> {
        serde_json::to_writer(&mut self.inner, value).map_err(|e| match e.io_error_kind() {
            Some(io::ErrorKind::BrokenPipe) => Failure::Closed,
            _ => Failure::from(e),
        })?;
        self.text("\n")
    }

    /// Writes a table.
    pub(crate) fn table(&mut self, table: &TextTable) -> Result<(), Failure> {
        self.text(&table.render())
    }

    /// Writes what is buffered.
    pub(crate) fn flush(&mut self) -> Result<(), Failure> {
        Ok(self.inner.flush()?)
    }
}

/// A table for people: a header, left-aligned text and right-aligned
/// numbers, columns as wide as their widest cell, no borders.
pub(crate) struct TextTable {
    table: Table,
}

impl TextTable {
    /// A table with these column names; the columns whose index is in
    /// `numeric` are right-aligned.
    pub(crate) fn new(header: &[&str], numeric: &[usize]) -> Self {
        let mut table = Table::new();
        table.load_style(NOTHING).set_header(header.iter().copied());
        for &i in numeric {
            if let Some(column) = table.column_mut(i) {
                column.set_cell_alignment(CellAlignment::Right);
            }
        }
        for column in table.column_iter_mut() {
            column.set_padding((0, 2));
        }
        TextTable { table }
    }

    /// Adds a row.
    pub(crate) fn row(&mut self, cells: Vec<String>) {
        self.table.add_row(cells);
    }

    /// The table, one line per row, without trailing spaces.
    fn render(&self) -> String {
        let mut text = self.table.trim_fmt();
        text.push('\n');
        text
    }
}

/// `2026-11-23 14:05:09Z` from milliseconds since the Unix epoch (the raw
/// number when it is out of any calendar's range).
pub(crate) fn utc(ms: u64) -> String {
    i64::try_from(ms)
        .ok()
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map_or_else(|| format!("{ms} ms"), |at| at.strftime("%Y-%m-%d %H:%M:%SZ").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_prints_the_calendar_date() {
        assert_eq!(utc(0), "1970-01-01 00:00:00Z");
        assert_eq!(utc(1_795_442_709_000), "2026-11-23 14:05:09Z");
        // 2024 is a leap year: the day after 28 February is the 29th.
        assert_eq!(utc(1_709_251_199_000), "2024-02-29 23:59:59Z");
        assert_eq!(utc(u64::MAX), format!("{} ms", u64::MAX));
    }

    #[test]
    fn tables_size_columns_to_their_widest_cell() {
        let mut table = TextTable::new(&["thread", "step"], &[1]);
        table.row(vec!["a-much-longer-thread-id".into(), "7".into()]);
        table.row(vec!["b".into(), "12".into()]);
        assert_eq!(
            table.render(),
            "thread                   step\na-much-longer-thread-id     7\nb                          12\n"
        );
    }
}
