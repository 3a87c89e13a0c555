//! A text-only PDF writer: headings, paragraphs and fixed-width lines on A4 pages, for the
//! documents the operator hands to a family (the access report).
//!
//! It uses the standard Helvetica and Courier fonts in WinAnsi encoding (ARCHITECTURE.md, "Law
//! 25 duties"): every PDF reader has them, nothing is embedded, and WinAnsi holds every letter
//! of French (é, è, ê, à, ç, œ, «, », ’). A character outside it is written as `?`: names in
//! the register are Québec names, so this is a fallback, not a path taken.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

/// A4 in points.
const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 56.0;

/// One block of the document, laid out top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// The document's title (large, bold).
    Title(String),
    /// A section heading (bold).
    Heading(String),
    /// Running text, wrapped at word boundaries.
    Paragraph(String),
    /// Fixed-width text, wrapped at the character (signed notes, hashes).
    Fixed(String),
    /// Vertical space.
    Gap,
}

#[derive(Debug, Clone, Copy)]
enum Face {
    Regular,
    Bold,
    Fixed,
}

impl Face {
    fn resource(self) -> Name<'static> {
        match self {
            Face::Regular => Name(b"F1"),
            Face::Bold => Name(b"F2"),
            Face::Fixed => Name(b"F3"),
        }
    }
}

/// Writes `blocks` as a PDF document titled `title` in language `lang` (`fr-CA`, `en-CA`).
pub fn render(title: &str, lang: &str, blocks: &[Block]) -> Vec<u8> {
    let lines = lay_out(blocks);
    let pages = paginate(&lines);
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let info = Ref::new(3);
    let fonts = [Ref::new(4), Ref::new(5), Ref::new(6)];
    let first_page = 7;
    let page_ids: Vec<Ref> = (0..pages.len())
        .map(|n| Ref::new(first_page + 2 * n as i32))
        .collect();
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree).lang(TextStr(lang));
    pdf.pages(tree)
        .kids(page_ids.iter().copied())
        .count(page_ids.len() as i32);
    pdf.document_info(info)
        .title(TextStr(title))
        .producer(TextStr("PlaceForte"));
    for (font, base) in fonts
        .iter()
        .zip([&b"Helvetica"[..], b"Helvetica-Bold", b"Courier"])
    {
        pdf.type1_font(*font)
            .base_font(Name(base))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    for (page_lines, page_id) in pages.iter().zip(&page_ids) {
        let content_id = Ref::new(page_id.get() + 1);
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT))
            .parent(tree)
            .contents(content_id);
        let mut resources = page.resources();
        let mut font_map = resources.fonts();
        for (face, font) in [Face::Regular, Face::Bold, Face::Fixed].iter().zip(fonts) {
            font_map.pair(face.resource(), font);
        }
        font_map.finish();
        resources.finish();
        page.finish();
        let mut content = Content::new();
        for line in page_lines {
            content.begin_text();
            content.set_font(line.face.resource(), line.size);
            content.next_line(MARGIN, line.y);
            content.show(Str(&win_ansi(line.text)));
            content.end_text();
        }
        pdf.stream(content_id, &content.finish());
    }
    pdf.finish()
}

#[derive(Debug)]
struct Line {
    text: String,
    face: Face,
    size: f32,
    /// Space it takes, this line included.
    advance: f32,
}

#[derive(Debug)]
struct Placed<'a> {
    text: &'a str,
    face: Face,
    size: f32,
    y: f32,
}

fn lay_out(blocks: &[Block]) -> Vec<Line> {
    let mut lines = Vec::new();
    for block in blocks {
        let (text, face, size) = match block {
            Block::Title(t) => (t, Face::Bold, 16.0),
            Block::Heading(t) => (t, Face::Bold, 11.5),
            Block::Paragraph(t) => (t, Face::Regular, 10.0),
            Block::Fixed(t) => (t, Face::Fixed, 7.5),
            Block::Gap => {
                lines.push(Line {
                    text: String::new(),
                    face: Face::Regular,
                    size: 10.0,
                    advance: 8.0,
                });
                continue;
            }
        };
        let wrapped = match face {
            Face::Fixed => wrap_chars(text, columns(face, size)),
            _ => wrap_words(text, columns(face, size)),
        };
        for piece in wrapped {
            lines.push(Line {
                text: piece,
                face,
                size,
                advance: size * 1.35,
            });
        }
    }
    lines
}

/// How many characters fit on a line. Courier is exactly 0.6 em wide; Helvetica's letters
/// average under 0.55 em, so wrapping at that width never overflows the margin by much.
fn columns(face: Face, size: f32) -> usize {
    let em = match face {
        Face::Fixed => 0.6,
        Face::Bold => 0.58,
        Face::Regular => 0.52,
    };
    ((PAGE_WIDTH - 2.0 * MARGIN) / (size * em))
        .floor()
        .max(10.0) as usize
}

fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    for paragraph_line in text.lines() {
        let mut line = String::new();
        for word in paragraph_line.split_whitespace() {
            let needed =
                line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
            if needed > width && !line.is_empty() {
                out.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
            while line.chars().count() > width {
                let rest: String = line.chars().skip(width).collect();
                out.push(line.chars().take(width).collect());
                line = rest;
            }
        }
        out.push(line);
    }
    out
}

fn wrap_chars(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let chars: Vec<char> = line.chars().collect();
        if chars.is_empty() {
            out.push(String::new());
        }
        for chunk in chars.chunks(width) {
            out.push(chunk.iter().collect());
        }
    }
    out
}

fn paginate(lines: &[Line]) -> Vec<Vec<Placed<'_>>> {
    let mut pages = vec![Vec::new()];
    let mut y = PAGE_HEIGHT - MARGIN;
    for line in lines {
        if y - line.advance < MARGIN {
            pages.push(Vec::new());
            y = PAGE_HEIGHT - MARGIN;
        }
        y -= line.advance;
        if let Some(page) = pages.last_mut() {
            page.push(Placed {
                text: &line.text,
                face: line.face,
                size: line.size,
                y,
            });
        }
    }
    pages
}

/// `text` in WinAnsi (Windows-1252): Latin-1 as is, the typographic marks French uses from
/// the 0x80–0x9F block, `?` for anything else.
pub fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{ff}' => c as u8,
            '€' => 0x80,
            '‚' => 0x82,
            '„' => 0x84,
            '…' => 0x85,
            'Œ' => 0x8c,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            'œ' => 0x9c,
            'Ÿ' => 0x9f,
            '\u{202f}' => 0xa0,
            '\t' => b' ',
            _ => b'?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_letters_have_their_win_ansi_codes() {
        assert_eq!(
            win_ansi("é è à ç œ « » ’ —"),
            [
                0xe9, b' ', 0xe8, b' ', 0xe0, b' ', 0xe7, b' ', 0x9c, b' ', 0xab, b' ', 0xbb, b' ',
                0x92, b' ', 0x97
            ]
        );
        assert_eq!(win_ansi("漢"), b"?");
    }

    #[test]
    fn words_wrap_within_the_width_and_long_words_are_cut() {
        let lines = wrap_words("un deux trois quatre cinq", 10);
        assert_eq!(lines, ["un deux", "trois", "quatre", "cinq"]);
        assert_eq!(wrap_words("abcdefghijkl", 5), ["abcde", "fghij", "kl"]);
    }

    #[test]
    fn a_long_document_runs_onto_more_pages() {
        let blocks: Vec<Block> = (0..200)
            .map(|n| Block::Paragraph(format!("ligne {n}")))
            .collect();
        assert!(paginate(&lay_out(&blocks)).len() > 1);
        assert!(render("t", "fr-CA", &blocks).starts_with(b"%PDF-"));
    }
}
