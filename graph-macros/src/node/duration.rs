//! Durations written as string literals (`"500ms"`, `"30s"`, `"1m30s"`),
//! parsed at compile time.

use std::time::Duration;

/// Parses `text` as a sequence of `<number><unit>` parts, the units being
/// `ms`, `s`, `m` and `h` (`us` and `ns` for the rare sub-millisecond case).
pub(crate) fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("a duration cannot be empty".to_owned());
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!("expected a number at `{rest}`"));
        }
        let (number, tail) = rest.split_at(digits);
        let number: f64 = number.parse().map_err(|_| format!("`{number}` is not a number"))?;
        let unit_len = tail.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let seconds = match unit {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" => 1e-6,
            "ns" => 1e-9,
            "" => return Err(format!("`{number}` has no unit")),
            other => return Err(format!("unknown unit `{other}`")),
        };
        total += Duration::try_from_secs_f64(number * seconds).map_err(|_| format!("`{text}` is out of range"))?;
        rest = tail;
    }
    Ok(total)
}

/// The help appended to every duration error.
pub(crate) const HELP: &str = "write a number and a unit (`ms`, `s`, `m`, `h`), e.g. \"500ms\", \"30s\" or \"1m30s\"";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_sums_parts() {
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse("1.5s"), Ok(Duration::from_millis(1500)));
    }

    #[test]
    fn rejects_what_it_cannot_read() {
        assert_eq!(parse(""), Err("a duration cannot be empty".to_owned()));
        assert_eq!(parse("30"), Err("`30` has no unit".to_owned()));
        assert_eq!(parse("30 sec"), Err("unknown unit ` sec`".to_owned()));
        assert_eq!(parse("ms"), Err("expected a number at `ms`".to_owned()));
        assert_eq!(parse("1..2s"), Err("`1..2` is not a number".to_owned()));
    }
}
