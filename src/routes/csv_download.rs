//! CSV downloads as attachments.
//!
//! Names come from customers (company, subscription, resource, resource group names), so a
//! cell that a spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, tab or
//! carriage return) is written with a leading `'` (OWASP's rule for CSV injection). Numbers
//! are written as plain decimals and never prefixed.

use actix_web::HttpResponse;
use actix_web::http::header::CONTENT_DISPOSITION;
use csv::ByteRecord;
use serde::Serialize;

use crate::error::AppError;

/// A `text/csv` attachment named `filename` (ASCII): `header`, then one record per row.
/// Fields holding commas, quotes or line breaks are quoted by the csv writer.
fn csv_response<Row, Field>(
    filename: &str,
    header: &[&str],
    rows: impl IntoIterator<Item = Row>,
) -> Result<HttpResponse, AppError>
where
    Row: IntoIterator<Item = Field>,
    Field: AsRef<[u8]>,
{
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(header).map_err(failed)?;
    for row in rows {
        writer
            .write_record(
                row.into_iter()
                    .map(|field| neutralised(field.as_ref()).into_owned()),
            )
            .map_err(failed)?;
    }
    let body = writer
        .into_inner()
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("finishing CSV: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .body(body))
}

/// A `text/csv` attachment named `filename` (ASCII) of `rows` as the csv crate serializes
/// them: the header is `Row`'s field names in their order (written even without rows), each
/// cell as [`csv_response`] writes it.
///
/// # Errors
/// [`AppError::Unexpected`] if a row cannot be serialized (a bug: a nested field).
pub fn csv_rows<Row: Serialize + Default>(
    filename: &str,
    rows: &[Row],
) -> Result<HttpResponse, AppError> {
    // The serializer writes the header with the first row: a default row brings it, and is
    // dropped when the records are read back.
    let mut serialized = csv::Writer::from_writer(Vec::new());
    for row in std::iter::once(&Row::default()).chain(rows) {
        serialized.serialize(row).map_err(failed)?;
    }
    let serialized = serialized
        .into_inner()
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("finishing CSV: {e}")))?;
    let mut reader = csv::Reader::from_reader(serialized.as_slice());
    let header = reader.headers().map_err(failed)?.clone();
    let records: Vec<ByteRecord> = (reader.into_byte_records().skip(1))
        .collect::<Result<_, _>>()
        .map_err(failed)?;
    let header: Vec<&str> = header.iter().collect();
    csv_response(filename, &header, &records)
}

fn failed(e: csv::Error) -> AppError {
    AppError::Unexpected(anyhow::Error::new(e).context("writing CSV"))
}

/// A field as a spreadsheet may safely open it: a field starting with `=`, `+`, `-`, `@`, tab
/// or carriage return gets a leading `'`, unless it is a plain decimal number (`-12.50`), as
/// every amount we write is.
fn neutralised(field: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let formula_like = matches!(
        field.first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    );
    if formula_like && !is_plain_decimal(field) {
        let mut prefixed = Vec::with_capacity(field.len() + 1);
        prefixed.push(b'\'');
        prefixed.extend_from_slice(field);
        std::borrow::Cow::Owned(prefixed)
    } else {
        std::borrow::Cow::Borrowed(field)
    }
}

/// `-?[0-9]+(.[0-9]+)?`: how [`decimal`] writes numbers.
fn is_plain_decimal(field: &[u8]) -> bool {
    let digits = field.strip_prefix(b"-").unwrap_or(field);
    let (whole, fraction) = match digits.iter().position(|&b| b == b'.') {
        Some(dot) => (&digits[..dot], Some(&digits[dot + 1..])),
        None => (digits, None),
    };
    let all_digits = |part: &[u8]| !part.is_empty() && part.iter().all(u8::is_ascii_digit);
    all_digits(whole) && fraction.is_none_or(all_digits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn cell(field: &str) -> String {
        String::from_utf8(neutralised(field.as_bytes()).into_owned()).unwrap()
    }

    #[test]
    fn formula_cells_are_prefixed_and_numbers_are_not() {
        for formula in [
            "=HYPERLINK(\"http://x\")",
            "+1+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
            "-",
            "-1.",
            "--1",
        ] {
            assert_eq!(cell(formula), format!("'{formula}"), "{formula:?}");
        }
        for plain in [
            "-12.50",
            "-3",
            "0.0001",
            "12",
            "Contoso = Ltd",
            "",
            "a@b.example",
        ] {
            assert_eq!(cell(plain), plain, "{plain:?}");
        }
        assert_eq!(cell(&Decimal::new(-123_456, 4).to_string()), "-12.3456");
    }

    #[derive(Default, serde::Serialize)]
    struct Row<'a> {
        name: &'a str,
        #[serde(rename = "amount_eur")]
        amount: Option<Decimal>,
        day: Option<chrono::NaiveDate>,
    }

    async fn body(rows: &[Row<'_>]) -> String {
        let response = csv_rows("rows.csv", rows).unwrap();
        let body = actix_web::body::to_bytes(response.into_body())
            .await
            .unwrap();
        String::from_utf8(body.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn serialized_rows_have_their_field_names_as_header_and_neutralised_cells() {
        assert_eq!(body(&[]).await, "name,amount_eur,day\n");
        let rows = [
            Row {
                name: "=cmd, \"x\"",
                amount: Some(Decimal::new(-1_250, 2)),
                day: chrono::NaiveDate::from_ymd_opt(2026, 11, 30),
            },
            Row {
                name: "-12.5",
                amount: Some(Decimal::new(1_000_001, 6)),
                ..Row::default()
            },
        ];
        assert_eq!(
            body(&rows).await,
            "name,amount_eur,day\n\"'=cmd, \"\"x\"\"\",-12.50,2026-11-30\n-12.5,1.000001,\n"
        );
    }
}
