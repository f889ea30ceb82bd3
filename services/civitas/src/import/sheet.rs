//! Reading a register: a CSV file (UTF-8, with or without a byte order mark) or a
//! spreadsheet calamine reads (.xlsx, .xlsm, .xls, .ods), as rows of text numbered the
//! way the spreadsheet shows them.

use std::path::Path;

use anyhow::{bail, Context};
use calamine::{Data, Reader};

/// One row of the register.
#[derive(Debug, Clone)]
pub struct SheetRow {
    /// The row's number as the spreadsheet shows it (the first row is 1).
    pub number: usize,
    /// The cells as text, trimmed.
    pub cells: Vec<String>,
    /// Cells whose text cannot be trusted: (column, why), e.g. an ID number Excel stored
    /// as a number and rounded.
    pub damaged: Vec<(usize, &'static str)>,
}

impl SheetRow {
    fn is_blank(&self) -> bool {
        self.cells.iter().all(String::is_empty) && self.damaged.is_empty()
    }
}

/// Every row of a file's first (or named) sheet, blank rows left out.
pub fn read(path: &Path, sheet: Option<&str>) -> anyhow::Result<Vec<SheetRow>> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let rows = match extension.as_str() {
        "xlsx" | "xlsm" | "xlsb" | "xls" | "ods" => read_workbook(path, sheet)?,
        _ => {
            if sheet.is_some() {
                bail!("--sheet applies to spreadsheet files, not to CSV");
            }
            let bytes =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            read_csv(&bytes).with_context(|| format!("cannot read {}", path.display()))?
        }
    };
    Ok(rows.into_iter().filter(|r| !r.is_blank()).collect())
}

/// CSV text: UTF-8, an optional byte order mark, rows of any length.
pub fn read_csv(bytes: &[u8]) -> anyhow::Result<Vec<SheetRow>> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    if std::str::from_utf8(bytes).is_err() {
        bail!(
            "the file is not UTF-8 text: save it as \"CSV UTF-8\" (Excel) or as .xlsx \
             (a GBK/GB18030 CSV cannot be read)"
        );
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut rows = Vec::new();
    // A spreadsheet shows an empty line as an empty row, and a line break inside a
    // quoted cell as no row at all: the row number is the record's first line less the
    // line breaks inside the cells before it.
    let (mut breaks_in_cells, mut line_breaks, mut counted) = (0, 0, 0);
    for record in reader.records() {
        let record = record.context("cannot read the CSV")?;
        // The position may point at empty lines the reader skipped before the record.
        let at = record.position().map_or(0, |p| p.byte() as usize);
        let start = at
            + bytes[at..]
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
        line_breaks += bytes[counted..start]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        counted = start;
        rows.push(SheetRow {
            number: 1 + line_breaks - breaks_in_cells,
            cells: record.iter().map(|c| c.trim().to_owned()).collect(),
            damaged: Vec::new(),
        });
        breaks_in_cells += record
            .iter()
            .map(|c| c.matches('\n').count())
            .sum::<usize>();
    }
    Ok(rows)
}

fn read_workbook(path: &Path, sheet: Option<&str>) -> anyhow::Result<Vec<SheetRow>> {
    let mut workbook = calamine::open_workbook_auto(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let range = match sheet {
        Some(name) => workbook
            .worksheet_range(name)
            .with_context(|| format!("no sheet {name:?} in {}", path.display()))?,
        None => workbook
            .worksheet_range_at(0)
            .with_context(|| format!("{} has no sheet", path.display()))?
            .with_context(|| format!("cannot read the first sheet of {}", path.display()))?,
    };
    let (first_row, first_column) = range.start().unwrap_or((0, 0));
    // Cells left of the used range are empty: pad so columns keep their places.
    let pad = first_column as usize;
    Ok(range
        .rows()
        .enumerate()
        .map(|(index, cells)| {
            let mut row = SheetRow {
                number: first_row as usize + index + 1,
                cells: vec![String::new(); pad],
                damaged: Vec::new(),
            };
            for (column, cell) in cells.iter().enumerate() {
                let (text, damage) = cell_text(cell);
                if let Some(why) = damage {
                    row.damaged.push((pad + column, why));
                }
                row.cells.push(text);
            }
            row
        })
        .collect())
}

/// Integers above this lost digits when Excel stored them as numbers (15 significant
/// digits): an 18-digit ID number typed into a General cell is the usual victim.
const EXACT_DIGITS_BELOW: f64 = 1e15;

/// A cell as the text a person sees, and why it cannot be trusted, if it cannot.
fn cell_text(cell: &Data) -> (String, Option<&'static str>) {
    match cell {
        Data::Empty => (String::new(), None),
        Data::String(s) => (s.trim().to_owned(), None),
        Data::Int(i) => (i.to_string(), None),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < EXACT_DIGITS_BELOW => {
            (format!("{f:.0}"), None)
        }
        Data::Float(f) if f.abs() >= EXACT_DIGITS_BELOW => (
            format!("{f:.0}"),
            Some(
                "the cell is a number and Excel kept only 15 digits of it: format the column \
                 as text and type the value again",
            ),
        ),
        Data::Float(f) => (f.to_string(), None),
        Data::Bool(b) => (b.to_string(), None),
        Data::DateTime(d) if d.is_datetime() => {
            let (year, month, day, ..) = d.to_ymd_hms_milli();
            (format!("{year:04}-{month:02}-{day:02}"), None)
        }
        Data::DateTime(d) => (d.as_f64().to_string(), None),
        Data::DateTimeIso(s) => (s.chars().take(10).collect(), None),
        Data::DurationIso(s) => (s.clone(), None),
        Data::Error(_) => (
            String::new(),
            Some("the cell holds a spreadsheet error (#VALUE!, #REF!, …)"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_keep_their_spreadsheet_numbers_and_lose_the_bom() {
        let text = "\u{feff}户号,网格\n\n 1-101 ,G1\n\"a\nb\",G2\nc,G3\n";
        let rows = read_csv(text.as_bytes()).unwrap();
        assert_eq!(rows[0].cells, ["户号", "网格"]);
        assert_eq!(rows[1].number, 3, "an empty line is an empty row");
        assert_eq!(rows[1].cells, ["1-101", "G1"]);
        assert_eq!(rows[2].number, 4);
        assert_eq!(rows[3].number, 5, "a quoted line break stays in one row");
        assert!(read_csv(b"\xb9\xfa,x\n").is_err(), "GBK is refused");
    }

    #[test]
    fn excel_numbers_read_as_typed_or_are_flagged() {
        assert_eq!(cell_text(&Data::Float(13812345678.0)).0, "13812345678");
        assert!(cell_text(&Data::Float(110105194912310000.0)).1.is_some());
        assert_eq!(cell_text(&Data::Float(1.5)).0, "1.5");
    }
}
