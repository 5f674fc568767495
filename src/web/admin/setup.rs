//! First-run setup: the site's title and description, the owner's account, and a start
//! empty or with the demo publication. Once an owner exists, the page is gone.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::auth::csrf::{self, CsrfForm};
use crate::auth::identity::sign_in;
use crate::auth::password::hash_off_thread;
use crate::auth::signed;
use crate::clock::now;
use crate::domain::people::{self, SetUp};
use crate::domain::settings;
use crate::domain::users;
use crate::domain::write::WriteError;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::forms::{Errors, Field, Hidden, NewAccountForm};
use crate::web::pages::FormPage;
use crate::web::respond::{invalid, layout, ok, see_other, set_notice, use_case};
use crate::web::views::Layout;

/// The setup form: the site, then its owner.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SetupForm {
    /// The setup key from the start-up log, for a site that has accounts but no owner.
    key: String,
    title: String,
    description: String,
    start: String,
    #[serde(flatten)]
    account: NewAccountForm,
}

impl SetupForm {
    fn fields(&self, errors: &Errors) -> Vec<Field> {
        let start = if self.start == "demo" {
            "demo"
        } else {
            "empty"
        };
        let mut fields = vec![
            Field::new("title", "Site title", "text")
                .required()
                .max(100)
                .value(&self.title)
                .error(errors.get("title")),
            Field::new("description", "Description", "textarea")
                .max(300)
                .hint("A sentence or two: search engines and shared links show it.")
                .value(&self.description)
                .error(errors.get("description")),
        ];
        fields.extend(self.account.fields(errors));
        fields.push(
            Field::new("start", "Start with", "select")
                .options([
                    ("empty", "An empty site (just a welcome post)"),
                    (
                        "demo",
                        "Demo content: sample posts, pages, tags and authors",
                    ),
                ])
                .hint("Demo content shows every kind of page; delete it whenever you like.")
                .value(start),
        );
        fields
    }

    /// Everything checked, nothing written: the owner's account and the site's words.
    fn parse(&self) -> Result<(users::Email, String, users::Password, String, String), Errors> {
        let account = self.account.parse();
        let site = settings::parse_title(&self.title, &self.description, now());
        match (account, site) {
            (Ok((email, name, password)), Ok((title, description))) => {
                Ok((email, name, password, title, description))
            }
            (account, site) => {
                let mut errors = Errors::default();
                for problems in [account.err(), site.err()].into_iter().flatten() {
                    for (field, message) in problems.iter() {
                        errors.add(field, message);
                    }
                }
                Err(errors)
            }
        }
    }
}

fn setup_page(
    state: &AppState,
    layout: Layout,
    csrf: String,
    form: &SetupForm,
    errors: &Errors,
) -> FormPage {
    let mut page = FormPage::new(layout, "Set up your publication", "/admin/setup", csrf);
    page.intro = Some(format!(
        "Name your site and create the owner's account. The owner can do everything and \
         invites everyone else. Readers will find the site at {}.",
        state.config.base_url
    ));
    page.fields = form.fields(errors);
    if !form.key.is_empty() {
        page.hidden.push(Hidden {
            name: "key",
            value: form.key.clone(),
        });
    }
    page.submit = "Create the site";
    page
}

const SETUP_KEY: &str = "first-run-setup";

/// The key that opens setup on a site that has accounts but no owner (an import's): printed
/// in the start-up log, so only whoever runs the server can claim the site.
pub fn setup_key(secret: &[u8]) -> String {
    signed::sign(secret, SETUP_KEY, "owner")
}

/// Whether `key` opens setup: a new site with nobody on it is open to its first visitor,
/// as any fresh install is; one with accounts needs the key; one with an owner is done.
async fn may_set_up(state: &AppState, key: &str) -> AppResult<bool> {
    match state.db.run(users::setup_state).await? {
        users::Setup::Done => Err(AppError::NotFound),
        users::Setup::NobodyYet => Ok(false),
        users::Setup::NoOwner
            if signed::verify(&state.config.secret_key, SETUP_KEY, key).as_deref()
                == Some("owner") =>
        {
            Ok(true)
        }
        users::Setup::NoOwner => Err(AppError::Forbidden(
            "This site has accounts already: open the setup address with its key, printed in the server's log when it starts.".into(),
        )),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SetupQuery {
    key: String,
}

pub async fn show_setup(
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<SetupQuery>,
) -> AppResult<HttpResponse> {
    let key = query.into_inner().key;
    may_set_up(&state, &key).await?;
    let layout = layout(&state, "/admin/setup", "Set up").await?;
    // A site an import already named starts from that name.
    let mut form = SetupForm {
        key,
        ..SetupForm::default()
    };
    if let Some(named) = state.db.run(settings::load).await?
        && named.title != settings::SiteSettings::defaults(now()).title
    {
        (form.title, form.description) = (named.title, named.description);
    }
    ok(&setup_page(
        &state,
        layout,
        csrf::token(&session)?,
        &form,
        &Errors::default(),
    ))
}

async fn form_again(
    state: &AppState,
    session: &Session,
    form: &SetupForm,
    errors: &Errors,
) -> AppResult<HttpResponse> {
    let layout = layout(state, "/admin/setup", "Set up").await?;
    invalid(&setup_page(
        state,
        layout,
        csrf::token(session)?,
        form,
        errors,
    ))
}

pub async fn setup(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    CsrfForm(form): CsrfForm<SetupForm>,
) -> AppResult<HttpResponse> {
    let claims_accounts = may_set_up(&state, &form.key).await?;
    let (email, display_name, password, title, description) = match form.parse() {
        Ok(parsed) => parsed,
        Err(errors) => return form_again(&state, &session, &form, &errors).await,
    };
    let password_hash = hash_off_thread(password).await?;
    let setup = SetUp {
        email,
        display_name,
        password_hash,
        title,
        description,
        demo: form.start == "demo",
        claims_accounts,
    };
    let done = match use_case(&state, move |conn, head| {
        people::set_up(conn, setup, head.now)
    })
    .await?
    {
        Ok(done) => done,
        // The address belongs to an existing (imported or member) account.
        Err(WriteError::Invalid(errors)) => {
            return form_again(&state, &session, &form, &errors).await;
        }
        Err(refused) => return Err(refused.into()),
    };
    sign_in(
        &session,
        &done.owner,
        false,
        &crate::web::session::device(&req),
    )?;
    let notice = match (form.start == "demo", done.demo_added) {
        (true, false) => {
            "Your site is set up. It already had content, so no demo content was added."
        }
        _ => "Your site is set up.",
    };
    set_notice(&session, notice);
    Ok(see_other("/admin"))
}
