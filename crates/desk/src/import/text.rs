//! From the file's bytes to text and a separator, the way French-language office software
//! writes CSV: UTF-8 with or without a byte-order mark, or Windows-1252 (Excel's "CSV
//! (séparateur : point-virgule)" on a French Windows), with `;` or `,` between fields.

use encoding_rs::WINDOWS_1252;
use serde::Serialize;

/// The text encoding a file was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum TextEncoding {
    /// UTF-8 starting with a byte-order mark.
    // Named explicitly: serde and specta split words around digits differently.
    #[serde(rename = "utf8_with_bom")]
    Utf8WithBom,
    /// UTF-8 without a byte-order mark.
    #[serde(rename = "utf8")]
    Utf8,
    /// Windows-1252 (any file that is not valid UTF-8: every byte decodes).
    #[serde(rename = "windows_1252")]
    Windows1252,
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The file's text and the encoding it was read as. Never fails: a byte sequence that is not
/// UTF-8 is read as Windows-1252, where every byte is a character.
pub(crate) fn decode(bytes: &[u8]) -> (String, TextEncoding) {
    if let Some(rest) = bytes.strip_prefix(UTF8_BOM) {
        return (
            String::from_utf8_lossy(rest).into_owned(),
            TextEncoding::Utf8WithBom,
        );
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_owned(), TextEncoding::Utf8),
        Err(_) => {
            let (text, _, _) = WINDOWS_1252.decode(bytes);
            (text.into_owned(), TextEncoding::Windows1252)
        }
    }
}

/// The separator: whichever of `;` and `,` appears more often outside quotes on the header
/// line (`;` on a tie, as French spreadsheets write it; a decimal comma is then data).
pub(crate) fn sniff_delimiter(text: &str) -> u8 {
    let mut in_quotes = false;
    let (mut semicolons, mut commas) = (0usize, 0usize);
    for c in text.chars() {
        match c {
            '"' => in_quotes = !in_quotes,
            '\n' | '\r' if !in_quotes => break,
            ';' if !in_quotes => semicolons += 1,
            ',' if !in_quotes => commas += 1,
            _ => {}
        }
    }
    if commas > semicolons {
        b','
    } else {
        b';'
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_and_without_bom_and_windows_1252_decode_to_the_same_text() {
        let text = "Prénom;Nom\nÉloïse;Côté\n";
        let (plain, enc) = decode(text.as_bytes());
        assert_eq!((plain.as_str(), enc), (text, TextEncoding::Utf8));
        let with_bom = [UTF8_BOM, text.as_bytes()].concat();
        let (bom, enc) = decode(&with_bom);
        assert_eq!((bom.as_str(), enc), (text, TextEncoding::Utf8WithBom));
        let (cp1252, _, _) = WINDOWS_1252.encode(text);
        let (ansi, enc) = decode(&cp1252);
        assert_eq!((ansi.as_str(), enc), (text, TextEncoding::Windows1252));
    }

    #[test]
    fn the_separator_is_sniffed_outside_quotes_on_the_first_line() {
        assert_eq!(sniff_delimiter("a;b;c\n1,5;2;3"), b';');
        assert_eq!(sniff_delimiter("a,b,c\n1;2;3"), b',');
        assert_eq!(sniff_delimiter("\"a;b\",c,d\n"), b',');
        assert_eq!(sniff_delimiter("single\n"), b';');
    }
}
