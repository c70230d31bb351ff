//! Making text inert: every character that could act on a terminal, start a fake line,
//! reorder what a reader sees or break a report's XML, written as an escape.

/// Whether a character must not reach a terminal, a log line or an XML report as is:
/// C0 and C1 controls (but tab), DEL, bidirectional controls (overrides, embeddings,
/// isolates and marks), line and paragraph separators, zero-width characters, the byte
/// order mark, and noncharacters (U+FFFE and U+FFFF among them, which XML forbids).
pub(super) fn is_unsafe(c: char) -> bool {
    let u = c as u32;
    (c.is_control() && c != '\t')
        || matches!(u, 0x061C | 0x200B..=0x200F | 0x2028..=0x202E | 0x2060..=0x2069 | 0xFEFF)
        || (0xFDD0..=0xFDEF).contains(&u)
        || (u & 0xFFFE) == 0xFFFE
}

/// The text with every unsafe character (controls, C1, bidirectional
/// overrides, noncharacters) written as a Rust-style escape, `\u{1b}`, so that nothing a
/// target sends can move a cursor, clear a screen, start a fake line, reorder what a
/// reader sees, or make a report's XML invalid.
pub fn inert(text: &str) -> String {
    escape(text, false)
}

pub(super) fn escape(text: &str, keep_lines: bool) -> String {
    let unsafe_here = |c: char| is_unsafe(c) && !(keep_lines && c == '\n');
    if !text.chars().any(unsafe_here) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if unsafe_here(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}
