//! What form templates receive: fields with their typed values, errors and the HTML5
//! validation hints, so every form shows its errors the same accessible way; and the forms
//! more than one area submits.

use serde::Deserialize;

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

/// The first value posted under `name` in a form read as pairs (one whose names repeat,
/// such as a list's ticked rows), or "" when there is none.
pub fn pair_value<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map_or("", |(_, value)| value.as_str())
}

/// One line of a form's error summary: the problem, linking to its field.
pub struct Problem {
    pub anchor: String,
    pub label: &'static str,
    pub message: String,
}

/// The error summary at the top of a form: each field's problem, in the form's order, so
/// a long form says at once what is wrong and where.
pub fn problems<'a>(fields: impl IntoIterator<Item = &'a Field>) -> Vec<Problem> {
    fields
        .into_iter()
        .filter_map(|f| {
            f.error.as_ref().map(|message| Problem {
                anchor: format!("f-{}", f.name),
                label: f.label,
                message: message.clone(),
            })
        })
        .collect()
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

/// Field errors: the domain's, shown beside each field.
pub use crate::domain::input::{FieldErrors as Errors, capitalise};

/// A form with nothing but its CSRF token (destructive buttons, sign-out).
#[derive(serde::Deserialize, Default)]
pub struct Empty {}

/// A hidden form field.
pub struct Hidden {
    pub name: &'static str,
    pub value: String,
}

/// The form that creates an account with a password: sign-up, and the owner's setup.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewAccountForm {
    pub email: String,
    display_name: String,
    password: String,
}

impl NewAccountForm {
    /// The form's controls, with what was typed (but the password) and the errors.
    pub fn fields(&self, errors: &Errors) -> Vec<Field> {
        vec![
            Field::email("email", "Email")
                .value(&self.email)
                .error(errors.get("email")),
            Field::display_name()
                .value(&self.display_name)
                .error(errors.get("display_name")),
            Field::new_password("password", "Password").error(errors.get("password")),
        ]
    }

    /// The validated address, name and password (the one parser: `accounts`).
    pub fn parse(
        &self,
    ) -> Result<
        (
            crate::domain::users::Email,
            String,
            crate::domain::users::Password,
        ),
        Errors,
    > {
        crate::domain::accounts::parse_new_account(&self.email, &self.display_name, &self.password)
    }
}

/// Checks the CSRF token of a multipart form, which must come first (the form puts it before
/// the file, so a large upload is refused before it is read).
pub async fn check_multipart_token(
    session: &actix_session::Session,
    payload: &mut actix_multipart::Multipart,
) -> crate::error::AppResult<()> {
    use futures_util::TryStreamExt;
    let bad =
        |_| crate::error::AppError::BadRequest("The upload could not be read; try again.".into());
    let token = match payload.try_next().await.map_err(bad)? {
        Some(mut field) if field.name() == Some(crate::auth::csrf::FIELD) => {
            let mut token = Vec::new();
            while let Some(chunk) = field.try_next().await.map_err(bad)? {
                if token.len() + chunk.len() > 256 {
                    break;
                }
                token.extend_from_slice(&chunk);
            }
            Some(String::from_utf8_lossy(&token).into_owned())
        }
        _ => None,
    };
    crate::auth::csrf::check(session, token.as_deref())
}
