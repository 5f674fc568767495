//! The filter language of the content API: the subset of Ghost's NQL that front ends use.
//!
//! ```text
//! filter := any (',' any)*          -- ',' is "or"
//! any    := all ('+' all)*          -- '+' is "and", binding tighter than ','
//! all    := '(' filter ')' | term
//! term   := field ':' ['-'] [op] (value | '[' value (',' value)* ']')
//! op     := '>' | '>=' | '<' | '<='
//! value  := 'quoted text' | "quoted text" | bare   -- bare: letters, digits, - _ .
//! ```
//!
//! `tag:news+featured:true`, `tags:[news,video]`, `author:-jo`, `id:-12`,
//! `published_at:>'2024-01-31 10:00:00'`, `(tag:a,tag:b)+featured:true`.
//! This module only parses; each resource says which fields it knows and what their values
//! mean. Every error names the position (counted in characters from 1) where it was found.

use std::fmt;

/// Longer filters are refused before parsing.
pub const MAX_LENGTH: usize = 2_000;
/// Parentheses nested deeper are refused (the parser recurses on them).
const MAX_DEPTH: usize = 8;
/// Terms in one filter, and values in one list, at most.
const MAX_TERMS: usize = 50;
const MAX_LIST: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Term(Term),
}

/// One comparison: `field:value`, `field:-[a,b]`, `field:>=value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub field: String,
    /// Where the field name starts, for messages about it.
    pub position: usize,
    pub negated: bool,
    pub op: Op,
    /// One value, or a list's values (any of them matches).
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub position: usize,
    pub message: String,
}

impl FilterError {
    pub fn at(position: usize, message: impl Into<String>) -> FilterError {
        FilterError {
            position,
            message: message.into(),
        }
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at character {})", self.message, self.position)
    }
}

impl Expr {
    /// Every term, for checking field names and values before a query is built.
    pub fn terms(&self) -> Vec<&Term> {
        match self {
            Expr::Term(term) => vec![term],
            Expr::And(parts) | Expr::Or(parts) => parts.iter().flat_map(Expr::terms).collect(),
        }
    }
}

pub fn parse(text: &str) -> Result<Expr, FilterError> {
    if text.chars().count() > MAX_LENGTH {
        return Err(FilterError::at(
            MAX_LENGTH,
            format!("the filter is longer than {MAX_LENGTH} characters"),
        ));
    }
    let mut parser = Parser {
        chars: text.chars().collect(),
        at: 0,
        terms: 0,
    };
    let expr = parser.any_of(0)?;
    parser.skip_spaces();
    match parser.peek() {
        None => Ok(expr),
        Some(')') => Err(parser.error("a ')' without its '('")),
        Some(c) => Err(parser.error(format!("expected '+', ',' or the end, found '{c}'"))),
    }
}

struct Parser {
    chars: Vec<char>,
    at: usize,
    terms: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn error(&self, message: impl Into<String>) -> FilterError {
        FilterError::at(self.at + 1, message)
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.at += 1;
        }
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_spaces();
        if self.peek() == Some(c) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn any_of(&mut self, depth: usize) -> Result<Expr, FilterError> {
        let mut parts = vec![self.all_of(depth)?];
        while self.eat(',') {
            parts.push(self.all_of(depth)?);
        }
        Ok(flatten(parts, Expr::Or))
    }

    fn all_of(&mut self, depth: usize) -> Result<Expr, FilterError> {
        let mut parts = vec![self.group(depth)?];
        loop {
            let before = self.at;
            // A `+` in a URL's query decodes to a space, so terms separated by spaces
            // alone are joined by "and" as well (`tag:news featured:true`).
            let spaced_term = |p: &Parser| {
                p.at > before
                    && p.peek()
                        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '(')
            };
            if self.eat('+') || spaced_term(self) {
                parts.push(self.group(depth)?);
            } else {
                break;
            }
        }
        Ok(flatten(parts, Expr::And))
    }

    fn group(&mut self, depth: usize) -> Result<Expr, FilterError> {
        if !self.eat('(') {
            return self.term().map(Expr::Term);
        }
        if depth >= MAX_DEPTH {
            return Err(FilterError::at(
                self.at,
                format!("parentheses nest deeper than {MAX_DEPTH} levels"),
            ));
        }
        let opened = self.at;
        let inner = self.any_of(depth + 1)?;
        if !self.eat(')') {
            return Err(match self.peek() {
                None => FilterError::at(opened, "this '(' is never closed"),
                Some(c) => self.error(format!("expected ')', found '{c}'")),
            });
        }
        Ok(inner)
    }

    fn term(&mut self) -> Result<Term, FilterError> {
        self.skip_spaces();
        let position = self.at + 1;
        let field: String = self.take_while(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        if field.is_empty() {
            return Err(match self.peek() {
                None => self.error("expected a field name, found the end of the filter"),
                Some(c) => self.error(format!("expected a field name, found '{c}'")),
            });
        }
        if !self.eat(':') {
            return Err(self.error(format!("expected ':' after '{field}'")));
        }
        self.terms += 1;
        if self.terms > MAX_TERMS {
            return Err(FilterError::at(
                position,
                format!("a filter has at most {MAX_TERMS} terms"),
            ));
        }
        let negated = self.eat('-');
        let op = if self.eat('>') {
            if self.eat('=') { Op::Ge } else { Op::Gt }
        } else if self.eat('<') {
            if self.eat('=') { Op::Le } else { Op::Lt }
        } else {
            Op::Eq
        };
        let values = if self.eat('[') {
            let mut values = vec![self.value()?];
            while self.eat(',') {
                values.push(self.value()?);
                if values.len() > MAX_LIST {
                    return Err(self.error(format!("a list has at most {MAX_LIST} values")));
                }
            }
            if !self.eat(']') {
                return Err(match self.peek() {
                    None => self.error("the list is never closed with ']'"),
                    Some(c) => self.error(format!("expected ',' or ']' in the list, found '{c}'")),
                });
            }
            if op != Op::Eq {
                return Err(FilterError::at(
                    position,
                    "a list cannot be compared with < or >",
                ));
            }
            values
        } else {
            vec![self.value()?]
        };
        Ok(Term {
            field,
            position,
            negated,
            op,
            values,
        })
    }

    fn value(&mut self) -> Result<String, FilterError> {
        self.skip_spaces();
        match self.peek() {
            Some(quote @ ('\'' | '"')) => {
                let opened = self.at + 1;
                self.at += 1;
                let text = self.take_while(|c| c != quote);
                if self.peek() != Some(quote) {
                    return Err(FilterError::at(opened, "this quote is never closed"));
                }
                self.at += 1;
                Ok(text)
            }
            _ => {
                let text = self.take_while(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'));
                if text.is_empty() {
                    Err(match self.peek() {
                        None => self.error("expected a value, found the end of the filter"),
                        Some(c) => self.error(format!("expected a value, found '{c}'")),
                    })
                } else {
                    Ok(text)
                }
            }
        }
    }

    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> String {
        let start = self.at;
        while self.peek().is_some_and(&keep) {
            self.at += 1;
        }
        self.chars[start..self.at].iter().collect()
    }
}

/// One part stands alone; several make an `And` or an `Or`.
fn flatten(mut parts: Vec<Expr>, join: fn(Vec<Expr>) -> Expr) -> Expr {
    if parts.len() == 1 {
        parts.remove(0)
    } else {
        join(parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(field: &str, op: Op, negated: bool, values: &[&str], position: usize) -> Expr {
        Expr::Term(Term {
            field: field.into(),
            position,
            negated,
            op,
            values: values.iter().map(|v| v.to_string()).collect(),
        })
    }

    #[test]
    fn and_binds_tighter_than_or() {
        assert_eq!(
            parse("tag:news+featured:true,tag:video").unwrap(),
            Expr::Or(vec![
                Expr::And(vec![
                    term("tag", Op::Eq, false, &["news"], 1),
                    term("featured", Op::Eq, false, &["true"], 10),
                ]),
                term("tag", Op::Eq, false, &["video"], 24),
            ])
        );
    }

    #[test]
    fn a_plus_decoded_to_a_space_still_means_and() {
        assert_eq!(
            parse("tag:news featured:true").unwrap(),
            parse("tag:news+featured:true").unwrap()
        );
        assert_eq!(
            parse("tag:a (tag:b,tag:c)").unwrap(),
            parse("tag:a+(tag:b,tag:c)").unwrap()
        );
    }

    #[test]
    fn parentheses_lists_negation_comparisons_and_quotes() {
        assert_eq!(
            parse("(tag:a,tag:b)+id:-[1,2]").unwrap(),
            Expr::And(vec![
                Expr::Or(vec![
                    term("tag", Op::Eq, false, &["a"], 2),
                    term("tag", Op::Eq, false, &["b"], 8),
                ]),
                term("id", Op::Eq, true, &["1", "2"], 15),
            ])
        );
        assert_eq!(
            parse("published_at:>='2024-01-31 10:00:00'").unwrap(),
            term("published_at", Op::Ge, false, &["2024-01-31 10:00:00"], 1)
        );
        assert_eq!(
            parse("published_at:<2024-01-31").unwrap(),
            term("published_at", Op::Lt, false, &["2024-01-31"], 1)
        );
        assert_eq!(
            parse(" author : -\"jo smith\" ").unwrap(),
            term("author", Op::Eq, true, &["jo smith"], 2)
        );
    }

    #[test]
    fn errors_point_at_the_problem() {
        let cases = [
            ("tag:", 5, "expected a value, found the end"),
            ("tag:news+", 10, "expected a field name, found the end"),
            ("tag news", 5, "expected ':' after 'tag'"),
            ("(tag:a", 1, "never closed"),
            ("tag:a)", 6, "without its '('"),
            ("tag:[a,b", 9, "never closed with ']'"),
            ("tag:'a", 5, "quote is never closed"),
            ("tag:a;drop", 6, "expected '+', ',' or the end, found ';'"),
            ("tag:>[a]", 1, "a list cannot be compared"),
            (":a", 1, "expected a field name, found ':'"),
            ("tag:=a", 5, "expected a value, found '='"),
        ];
        for (text, position, message) in cases {
            let error = parse(text).expect_err(text);
            assert_eq!(error.position, position, "{text}: {error}");
            assert!(error.message.contains(message), "{text}: {error}");
        }
    }

    #[test]
    fn hostile_filters_are_refused_cheaply() {
        let deep = format!("{}tag:a{}", "(".repeat(100), ")".repeat(100));
        assert!(parse(&deep).unwrap_err().message.contains("nest deeper"));
        let long = "tag:a,".repeat(1_000);
        assert!(parse(&long).unwrap_err().message.contains("longer than"));
        let many = vec!["tag:a"; 60].join(",");
        assert!(
            parse(&many)
                .unwrap_err()
                .message
                .contains("at most 50 terms")
        );
        let list = format!("id:[{}]", vec!["1"; 200].join(","));
        assert!(
            parse(&list)
                .unwrap_err()
                .message
                .contains("at most 100 values")
        );
    }
}
