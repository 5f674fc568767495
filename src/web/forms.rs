//! What form templates receive: fields with their typed values, errors and the HTML5
//! validation hints, so every form shows its errors the same accessible way.

/// One form control. Passwords are never echoed back.
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    /// An `<input type>`, or `textarea`, `checkbox` or `select`.
    pub kind: &'static str,
    pub value: String,
    pub error: Option<String>,
    pub hint: Option<&'static str>,
    pub required: bool,
    pub autocomplete: &'static str,
    pub minlength: Option<usize>,
    pub maxlength: Option<usize>,
    /// For `select`: (value, label) pairs.
    pub options: Vec<(String, String)>,
}

impl Field {
    pub fn new(name: &'static str, label: &'static str, kind: &'static str) -> Field {
        Field {
            name,
            label,
            kind,
            value: String::new(),
            error: None,
            hint: None,
            required: false,
            autocomplete: "off",
            minlength: None,
            maxlength: None,
            options: Vec::new(),
        }
    }

    pub fn email(name: &'static str, label: &'static str) -> Field {
        Field::new(name, label, "email")
            .required()
            .autocomplete("email")
            .max(254)
    }

    pub fn display_name() -> Field {
        Field::new("display_name", "Name", "text")
            .required()
            .autocomplete("name")
            .max(100)
    }

    pub fn new_password(name: &'static str, label: &'static str) -> Field {
        Field::new(name, label, "password")
            .required()
            .autocomplete("new-password")
            .min(crate::domain::users::MIN_PASSWORD_CHARS)
            .max(crate::domain::users::MAX_PASSWORD_CHARS)
            .hint("At least 8 characters. Common passwords are refused.")
    }

    pub fn current_password(name: &'static str, label: &'static str) -> Field {
        Field::new(name, label, "password")
            .required()
            .autocomplete("current-password")
            .max(crate::domain::users::MAX_PASSWORD_CHARS)
    }

    pub fn value(mut self, value: impl Into<String>) -> Field {
        if self.kind != "password" {
            self.value = value.into();
        }
        self
    }

    pub fn checked(self, on: bool) -> Field {
        self.value(if on { "on" } else { "" })
    }

    pub fn error(mut self, error: Option<String>) -> Field {
        self.error = error;
        self
    }

    pub fn hint(mut self, hint: &'static str) -> Field {
        self.hint = Some(hint);
        self
    }

    pub fn required(mut self) -> Field {
        self.required = true;
        self
    }

    pub fn autocomplete(mut self, token: &'static str) -> Field {
        self.autocomplete = token;
        self
    }

    pub fn min(mut self, n: usize) -> Field {
        self.minlength = Some(n);
        self
    }

    pub fn max(mut self, n: usize) -> Field {
        self.maxlength = Some(n);
        self
    }

    pub fn options<V: Into<String>, L: Into<String>>(
        mut self,
        options: impl IntoIterator<Item = (V, L)>,
    ) -> Field {
        self.options = options
            .into_iter()
            .map(|(value, label)| (value.into(), label.into()))
            .collect();
        self
    }

    /// The ids of the hint and error, for `aria-describedby`.
    pub fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if self.hint.is_some() {
            ids.push(format!("{}-hint", self.name));
        }
        if self.error.is_some() {
            ids.push(format!("{}-error", self.name));
        }
        ids.join(" ")
    }

    pub fn is_checked(&self) -> bool {
        self.value == "on"
    }
}

/// Field errors collected while validating a form.
#[derive(Default)]
pub struct Errors(Vec<(&'static str, String)>);

impl Errors {
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

    /// One line of `raw` trimmed, if it is at most `max` characters without control or
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
            .any(|c| crate::domain::users::is_hidden_control(c) && !allowed.contains(&c))
        {
            self.add(
                field,
                format!("{label} cannot contain control or text-direction characters."),
            );
        }
        trimmed.to_string()
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
}

/// Error messages from the domain are sentence fragments; shown alone they start a sentence.
pub fn capitalise(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect::<String>() + ".",
        None => String::new(),
    }
}

/// A hidden form field.
pub struct Hidden {
    pub name: &'static str,
    pub value: String,
}
