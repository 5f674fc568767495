//! First-run setup: the site's title and description, the owner's account, and a start
//! empty or with the demo publication. Once an owner exists, the page is gone.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::auth::csrf::{self, CsrfForm};
use crate::auth::identity::sign_in;
use crate::auth::password::hash_off_thread;
use crate::clock::now;
use crate::domain::people::{self, SetUp};
use crate::domain::settings;
use crate::domain::users;
use crate::domain::write::WriteError;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::forms::{Errors, Field, NewAccountForm};
use crate::web::pages::FormPage;
use crate::web::respond::{invalid, layout, ok, see_other, set_notice, use_case};
use crate::web::views::Layout;

/// The setup form: the site, then its owner.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SetupForm {
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
    page.submit = "Create the site";
    page
}

async fn refuse_once_owned(state: &AppState) -> AppResult<()> {
    if state.db.run(users::owner_exists).await? {
        return Err(AppError::NotFound);
    }
    Ok(())
}

pub async fn show_setup(state: web::Data<AppState>, session: Session) -> AppResult<HttpResponse> {
    refuse_once_owned(&state).await?;
    let layout = layout(&state, "/admin/setup", "Set up").await?;
    // A site an import already named starts from that name.
    let mut form = SetupForm::default();
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
    refuse_once_owned(&state).await?;
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
