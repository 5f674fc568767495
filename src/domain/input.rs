//! The checks every parser shares: what was wrong with which field, and the rules for text
//! typed by people or read from files (length, control characters, NUL, addresses).
//!
//! Every text that reaches the database passes through one of these, so a NUL byte (which
//! PostgreSQL refuses outright) or a text-direction override is refused with a message on
//! both backends, whoever sent it: a form, an import, the API.

use std::fmt;

/// Messages for the fields of one input, in the order they were found; at most one per
/// field. Field names are the form's (`title`, `slug`…), so a form can show each message
/// beside its field, and a file's importer can name them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<(&'static str, String)>);

impl FieldErrors {
    /// The same messages under other fields' names (`(from, to)`); others are left out.
    pub fn renamed(&self, names: &[(&str, &'static str)]) -> FieldErrors {
        let mut renamed = FieldErrors::default();
        for (from, to) in names {
            if let Some(message) = self.get(from) {
                renamed.add(to, message);
            }
        }
        renamed
    }

    pub fn add(&mut self, field: &'static str, message: impl ToString) {
        if self.get(field).is_none() {
            self.0.push((field, message.to_string()));
        }
    }

    /// Records the error of a validation result, if any, and passes its value on.
    pub fn check<T, E: ToString>(
        &mut self,
        field: &'static str,
        result: Result<T, E>,
    ) -> Option<T> {
        result
            .map_err(|e| self.add(field, capitalise(&e.to_string())))
            .ok()
    }

    pub fn get(&self, field: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, message)| message.clone())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.0
            .iter()
            .map(|(field, message)| (*field, message.as_str()))
    }

    /// `Ok(value)` when nothing was recorded.
    pub fn into_result<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    /// One line of `raw`, trimmed, if it is at most `max` characters without control or
    /// text-direction characters (`label` names the field in the message); else records why.
    pub fn text(&mut self, field: &'static str, label: &str, raw: &str, max: usize) -> String {
        self.checked_text(field, label, raw, max, &[])
    }

    /// Like `text`, allowing line breaks and tabs (for textareas).
    pub fn paragraphs(
        &mut self,
        field: &'static str,
        label: &str,
        raw: &str,
        max: usize,
    ) -> String {
        self.checked_text(field, label, &raw.replace("\r\n", "\n"), max, &['\n', '\t'])
    }

    /// Like `text`, with empty meaning none.
    pub fn optional_text(
        &mut self,
        field: &'static str,
        label: &str,
        raw: &str,
        max: usize,
    ) -> Option<String> {
        Some(self.text(field, label, raw, max)).filter(|t| !t.is_empty())
    }

    /// A long text such as Markdown: at most `max_bytes`, line breaks normalised, and free
    /// of NUL and other control characters (tabs and line breaks aside). Text-direction marks
    /// are allowed: right-to-left writing needs them.
    pub fn body(
        &mut self,
        field: &'static str,
        label: &str,
        raw: &str,
        max_bytes: usize,
    ) -> String {
        let text = raw.replace("\r\n", "\n");
        if text.len() > max_bytes {
            self.add(
                field,
                format!("{label} can be at most {} MB.", max_bytes >> 20),
            );
        } else if let Some(bad) = text
            .chars()
            .find(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
        {
            self.add(
                field,
                format!("{label} contains {}.", describe_control(bad)),
            );
        }
        text
    }

    /// The title and description a page gives search engines instead of its own (posts and
    /// tags both have them): each optional, empty meaning none.
    pub fn search_engine_fields(
        &mut self,
        title: &str,
        description: &str,
    ) -> (Option<String>, Option<String>) {
        let title = self.optional_text(
            "meta_title",
            "The search engine title",
            title,
            MAX_META_TITLE,
        );
        let description = Some(self.paragraphs(
            "meta_description",
            "The search engine description",
            description,
            MAX_META_DESCRIPTION,
        ))
        .filter(|d| !d.is_empty());
        (title, description)
    }

    /// An optional full address starting with http:// or https://.
    pub fn web_address(&mut self, field: &'static str, raw: &str, max: usize) -> Option<String> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return None;
        }
        let ok = trimmed.len() <= max
            && !trimmed.chars().any(char::is_control)
            && url::Url::parse(trimmed).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
        if !ok {
            self.add(
                field,
                "Enter a full address starting with https://, or leave it empty.",
            );
        }
        Some(trimmed.to_string())
    }

    fn checked_text(
        &mut self,
        field: &'static str,
        label: &str,
        raw: &str,
        max: usize,
        allowed: &[char],
    ) -> String {
        let trimmed = raw.trim();
        if trimmed.chars().count() > max {
            self.add(field, format!("{label} can be at most {max} characters."));
        } else if trimmed
            .chars()
            .any(|c| is_hidden_control(c) && !allowed.contains(&c))
        {
            self.add(
                field,
                format!("{label} cannot contain control or text-direction characters."),
            );
        }
        trimmed.to_string()
    }
}

/// "title: Give it a title. slug: …" — for messages that cannot sit beside a field (the
/// command line, an import's report).
impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (field, message)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{field}: {message}")?;
        }
        Ok(())
    }
}

/// Control characters, and the Unicode marks that reorder or hide text.
pub fn is_hidden_control(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

fn describe_control(c: char) -> String {
    match c {
        '\0' => "a NUL character, which cannot be stored; remove it".into(),
        other => format!(
            "a control character (U+{:04X}) that cannot be shown; remove it",
            u32::from(other)
        ),
    }
}

/// The longest search engine title and description a post or tag may give.
pub const MAX_META_TITLE: usize = 300;
pub const MAX_META_DESCRIPTION: usize = 500;

/// Text to search for, from a query string: line breaks and tabs become spaces, then it is
/// trimmed and cut at `max` characters. Any other control character is refused with a
/// message (a NUL cannot even be sent to PostgreSQL), rather than quietly searching for
/// something other than what was asked.
pub fn search_text(raw: &str, max: usize) -> Result<String, String> {
    let spaced = raw.replace(['\t', '\n', '\r'], " ");
    if let Some(c) = spaced.chars().find(|c| c.is_control()) {
        return Err(capitalise(&format!(
            "the search text has {}",
            describe_control(c)
        )));
    }
    Ok(spaced.trim().chars().take(max).collect())
}

/// Error messages from the domain are sentence fragments; shown alone they start a sentence.
pub fn capitalise(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => {
            let sentence = first.to_uppercase().chain(chars).collect::<String>();
            if sentence.ends_with('.') {
                sentence
            } else {
                sentence + "."
            }
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_is_trimmed_cut_and_free_of_controls() {
        assert_eq!(search_text("  rust  ", 200).unwrap(), "rust");
        assert_eq!(search_text("abcdef", 3).unwrap(), "abc");
        let refused = search_text("a\0b", 200).unwrap_err();
        assert!(
            refused.starts_with("The search text has a NUL"),
            "{refused}"
        );
        assert_eq!(search_text("tab\there\r\n", 200).unwrap(), "tab here");
        assert!(search_text("bell\u{7}", 200).is_err());
    }

    #[test]
    fn text_refuses_controls_and_overlong_values() {
        let mut errors = FieldErrors::default();
        assert_eq!(errors.text("a", "The name", "  Ada  ", 10), "Ada");
        errors.text("b", "The name", "A\0da", 10);
        errors.text("c", "The name", "x\u{202E}y", 10);
        errors.text("d", "The name", "too long by far", 5);
        assert!(errors.get("a").is_none());
        assert!(errors.get("b").unwrap().contains("control"));
        assert!(errors.get("c").unwrap().contains("text-direction"));
        assert_eq!(
            errors.get("d").unwrap(),
            "The name can be at most 5 characters."
        );
        assert_eq!(errors.iter().count(), 3);
    }

    #[test]
    fn bodies_keep_line_breaks_and_direction_marks_but_not_nul() {
        let mut errors = FieldErrors::default();
        let text = errors.body("m", "The text", "a\r\nb\tc \u{200F}", 100);
        assert_eq!(text, "a\nb\tc \u{200F}");
        assert!(errors.is_empty());
        errors.body("m", "The text", "before\0after", 100);
        assert!(errors.get("m").unwrap().contains("NUL"), "{errors}");
        let mut errors = FieldErrors::default();
        errors.body("m", "The text", "bell\u{7}", 100);
        assert!(errors.get("m").unwrap().contains("U+0007"));
        let mut errors = FieldErrors::default();
        errors.body("m", "The text", &"x".repeat(3 << 20), 2 << 20);
        assert_eq!(errors.get("m").unwrap(), "The text can be at most 2 MB.");
    }

    #[test]
    fn web_addresses_are_http_or_https() {
        let mut errors = FieldErrors::default();
        assert_eq!(errors.web_address("u", "  ", 100), None);
        assert_eq!(
            errors
                .web_address("u", "https://example.com/a", 100)
                .as_deref(),
            Some("https://example.com/a")
        );
        assert!(errors.is_empty());
        for bad in [
            "javascript:alert(1)",
            "ftp://x.example",
            "example.com",
            "https://x\0.example",
        ] {
            let mut errors = FieldErrors::default();
            errors.web_address("u", bad, 100);
            assert!(!errors.is_empty(), "{bad}");
        }
    }

    #[test]
    fn messages_read_as_sentences() {
        assert_eq!(
            capitalise("the title cannot be empty"),
            "The title cannot be empty."
        );
        assert_eq!(capitalise("Done."), "Done.");
        let mut errors = FieldErrors::default();
        errors.add("title", "Give it a title.");
        errors.add("title", "ignored: one message per field");
        errors.add("slug", "Taken.");
        assert_eq!(errors.to_string(), "title: Give it a title. slug: Taken.");
    }
}
