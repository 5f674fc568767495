//! Plain-text helpers for excerpts and descriptions.

/// Collapses whitespace and cuts `text` to at most `max` characters at a word boundary,
/// adding an ellipsis when something was cut.
pub fn trim_at_word(text: &str, max: usize) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= max {
        return collapsed;
    }
    let byte_end = collapsed
        .char_indices()
        .nth(max)
        .map(|(i, _)| i)
        .unwrap_or(collapsed.len());
    let head = &collapsed[..byte_end];
    let cut = head
        .rfind(' ')
        .filter(|&i| i > max / 2)
        .unwrap_or(head.len());
    let trimmed = head[..cut].trim_end_matches(|c: char| c.is_ascii_punctuation() || c == ' ');
    format!("{trimmed}…")
}

/// The automatic excerpt: the opening prose, trimmed at a word boundary.
pub fn excerpt_of(plain_text: &str, max: usize) -> String {
    trim_at_word(plain_text, max)
}
