//! People: one page per account, where staff with the right role change a person's name,
//! address, role and status, remove them, or (the owner) hand the site over; and the members'
//! list with search, pagination and adding a member by invitation.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::csrf::{self, CsrfForm};
use crate::auth::identity::Staff;
use crate::auth::permissions::Permission;
use crate::clock::now;
use crate::db::write_transaction;
use crate::domain::audit::{self, Actor, Object};
use crate::domain::posts;
use crate::domain::tokens::{self, Purpose};
use crate::domain::users::{self, Changes, Email, NewUser, Role, Status, User, UserError};
use crate::error::{AppError, AppResult};
use crate::mail::messages;
use crate::state::AppState;
use crate::web::account::login::Empty;
use crate::web::account::{
    invalid, layout, ok, see_other, set_notice, take_notice, write_and_mail,
};
use crate::web::admin::confirm::{self, Question};
use crate::web::admin::forbidden;
use crate::web::forms::{Errors, Field};
use crate::web::views::{DateView, Layout};

const PER_PAGE: i64 = 50;

/// The permission needed to manage `person`.
fn permission_for(person: &User) -> Permission {
    if person.role() == Role::Member {
        Permission::ManageMembers
    } else {
        Permission::ManageStaff
    }
}

async fn open_person(state: &AppState, me: &Staff, id: i64) -> AppResult<User> {
    let person = state
        .db
        .run(move |conn| users::by_id(conn, id))
        .await?
        .ok_or(AppError::NotFound)?;
    me.require(permission_for(&person))?;
    Ok(person)
}

/// The list a person's page goes back to.
fn list_of(person: &User) -> &'static str {
    if person.role() == Role::Member {
        "/admin/members"
    } else {
        "/admin/staff"
    }
}

// ---- One person ----

#[derive(Template)]
#[template(path = "admin/person.html")]
struct PersonPage {
    layout: Layout,
    notice: Option<String>,
    csrf: String,
    person: User,
    back: &'static str,
    fields: Vec<Field>,
    /// Why role and status cannot be changed here, if they cannot.
    fixed: Option<&'static str>,
    joined: DateView,
    post_count: i64,
    can_remove: bool,
    can_receive_ownership: bool,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct PersonForm {
    display_name: String,
    email: String,
    role: String,
    status: String,
}

impl PersonForm {
    fn from_user(person: &User) -> PersonForm {
        PersonForm {
            display_name: person.display_name.clone(),
            email: person.email.clone(),
            role: person.role.to_string(),
            status: person.status.to_string(),
        }
    }
}

/// Why `me` may not change `person`'s role or status, if so.
fn fixed_reason(me: &Staff, person: &User) -> Option<&'static str> {
    if person.role() == Role::Owner {
        Some(
            "The owner's role and status cannot be changed; the owner can hand the site to an administrator instead.",
        )
    } else if person.id == me.user().id {
        Some("You cannot change your own role or status.")
    } else {
        None
    }
}

/// The roles `me` may give `person`: those they can assign, members, and what the person
/// has now.
fn role_choices(me: &Staff, person: &User) -> Vec<(&'static str, &'static str)> {
    let current = person.role();
    let staff_allowed = me.role().can(Permission::ManageStaff);
    Role::ALL
        .iter()
        .copied()
        .filter(|role| {
            *role == current
                || (*role == Role::Member && staff_allowed)
                || me.role().can_assign(*role)
        })
        .map(|role| (role.as_str(), role_label(role)))
        .collect()
}

fn role_label(role: Role) -> &'static str {
    match role {
        Role::Owner => "Owner",
        Role::Admin => "Administrator",
        Role::Editor => "Editor",
        Role::Author => "Author",
        Role::Contributor => "Contributor",
        Role::Member => "Member",
    }
}

fn person_fields(me: &Staff, person: &User, form: &PersonForm, errors: &Errors) -> Vec<Field> {
    let mut fields = vec![
        Field::display_name()
            .value(&form.display_name)
            .error(errors.get("display_name")),
        Field::email("email", "Email")
            .value(&form.email)
            .error(errors.get("email")),
    ];
    if fixed_reason(me, person).is_none() {
        let mut statuses = vec![
            ("active", "Active"),
            ("suspended", "Suspended: cannot sign in"),
        ];
        if person.status() == Status::Pending {
            statuses.insert(0, ("pending", "Pending: has not accepted yet"));
        }
        fields.push(
            Field::new("role", "Role", "select")
                .options(role_choices(me, person))
                .value(&form.role)
                .error(errors.get("role")),
        );
        fields.push(
            Field::new("status", "Status", "select")
                .options(statuses)
                .value(&form.status)
                .hint("Suspending ends every session of theirs at once.")
                .error(errors.get("status")),
        );
    }
    fields
}

async fn person_page(
    state: &AppState,
    me: &Staff,
    person: User,
    form: &PersonForm,
    errors: &Errors,
) -> AppResult<PersonPage> {
    let (id, tz_now) = (person.id, now());
    let (post_count, settings) = state
        .db
        .run(move |conn| {
            Ok::<_, AppError>((
                posts::count_by_author(conn, id)?,
                crate::domain::settings::current(conn, tz_now)?,
            ))
        })
        .await?;
    let is_me = person.id == me.user().id;
    Ok(PersonPage {
        layout: layout(state, &format!("/admin/people/{id}"), &person.display_name).await?,
        notice: take_notice(&me.0.session),
        csrf: csrf::token(&me.0.session)?,
        back: list_of(&person),
        fields: person_fields(me, &person, form, errors),
        fixed: fixed_reason(me, &person),
        joined: DateView::new(person.created_at, settings.timezone),
        post_count,
        can_remove: !is_me && person.role() != Role::Owner,
        can_receive_ownership: me.role().can(Permission::TransferOwnership)
            && person.role() == Role::Admin
            && person.status() == Status::Active,
        person,
    })
}

pub async fn show_person(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let person = open_person(&state, &me, id.into_inner()).await?;
    let form = PersonForm::from_user(&person);
    ok(&person_page(&state, &me, person, &form, &Errors::default()).await?)
}

/// The changes the form asks for, checked against what `me` may do to `person`.
fn check(
    me: &Staff,
    person: &User,
    form: &PersonForm,
    errors: &mut Errors,
) -> AppResult<Option<Changes>> {
    let name = errors.check(
        "display_name",
        users::parse_display_name(&form.display_name),
    );
    let email = errors.check("email", Email::parse(&form.email));
    let (role, status) = match fixed_reason(me, person) {
        Some(_) => (person.role(), person.status()),
        None => {
            let role = Role::parse(&form.role);
            let status = match form.status.as_str() {
                "active" => Some(Status::Active),
                "suspended" => Some(Status::Suspended),
                "pending" if person.status() == Status::Pending => Some(Status::Pending),
                _ => None,
            };
            let Some(role) = role else {
                errors.add("role", "Choose one of the roles listed.");
                return Ok(None);
            };
            // A forged role is refused outright, as the role matrix says.
            if !role_choices(me, person)
                .iter()
                .any(|(r, _)| *r == role.as_str())
            {
                return Err(forbidden("give that role"));
            }
            let Some(status) = status else {
                errors.add("status", "Choose one of the statuses listed.");
                return Ok(None);
            };
            (role, status)
        }
    };
    Ok(match (name, email, errors.is_empty()) {
        (Some(display_name), Some(email), true) => Some(Changes {
            display_name,
            email,
            role,
            status,
        }),
        _ => None,
    })
}

fn describe_changes(person: &User, changes: &Changes) -> (&'static str, String) {
    let name = &changes.display_name;
    if changes.status != person.status() && changes.status == Status::Suspended {
        ("suspended", name.clone())
    } else if changes.status != person.status() && changes.status == Status::Active {
        ("reinstated", name.clone())
    } else if changes.role != person.role() {
        (
            "changed the role of",
            format!("{name}: {} → {}", person.role, changes.role.as_str()),
        )
    } else {
        ("updated", name.clone())
    }
}

pub async fn save_person(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
    CsrfForm(form): CsrfForm<PersonForm>,
) -> AppResult<HttpResponse> {
    let person = open_person(&state, &me, id.into_inner()).await?;
    let mut errors = Errors::default();
    let Some(changes) = check(&me, &person, &form, &mut errors)? else {
        return invalid(&person_page(&state, &me, person, &form, &errors).await?);
    };
    let (verb, summary) = describe_changes(&person, &changes);
    let (id, actor) = (person.id, Actor::of(me.user()));
    let saved = state
        .db
        .run(move |conn| {
            let saved = write_transaction(conn, |conn| {
                users::apply_changes(conn, id, &changes, now())?;
                audit::record(
                    conn,
                    &actor,
                    verb,
                    (Object::User, Some(id)),
                    &summary,
                    now(),
                )?;
                Ok::<_, UserError>(())
            });
            match saved {
                Err(UserError::EmailTaken) => Ok(false),
                other => other.map(|()| true).map_err(AppError::from),
            }
        })
        .await?;
    if !saved {
        errors.add("email", "Another account already uses this address.");
        return invalid(&person_page(&state, &me, person, &form, &errors).await?);
    }
    set_notice(&me.0.session, "Saved.");
    Ok(see_other(&format!("/admin/people/{id}")))
}

// ---- Removing someone ----

async fn open_removable(state: &AppState, me: &Staff, id: i64) -> AppResult<User> {
    let person = open_person(state, me, id).await?;
    if person.role() == Role::Owner {
        return Err(AppError::Forbidden(
            "The owner cannot be removed. The owner can hand the site to an administrator first."
                .into(),
        ));
    }
    if person.id == me.user().id {
        return Err(AppError::BadRequest(
            "To delete your own account, use your account page.".into(),
        ));
    }
    Ok(person)
}

pub async fn confirm_remove_person(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let person = open_removable(&state, &me, id.into_inner()).await?;
    let person_id = person.id;
    let post_count = state
        .db
        .run(move |conn| posts::count_by_author(conn, person_id))
        .await?;
    let mut explanation = vec![format!(
        "The account of {} ({}) will be deleted with its sessions. This cannot be undone.",
        person.display_name, person.email
    )];
    if post_count > 0 {
        explanation.push(format!(
            "Their {post_count} posts and pages stay published and will be credited to you."
        ));
    }
    confirm::ask(
        &state,
        &me,
        Question {
            heading: format!("Remove {}?", person.display_name),
            explanation,
            action: format!("/admin/people/{}/delete", person.id),
            hidden: Vec::new(),
            button: "Remove the account".into(),
            cancel: format!("/admin/people/{}", person.id),
        },
    )
    .await
}

pub async fn remove_person(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    let person = open_removable(&state, &me, id.into_inner()).await?;
    let (id, heir, actor) = (person.id, me.user().id, Actor::of(me.user()));
    let summary = format!("{} ({})", person.display_name, person.email);
    state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                users::remove(conn, id, heir)?;
                audit::record(
                    conn,
                    &actor,
                    "removed",
                    (Object::User, Some(id)),
                    &summary,
                    now(),
                )
            })
        })
        .await?;
    set_notice(
        &me.0.session,
        &format!("{} was removed.", person.display_name),
    );
    Ok(see_other(list_of(&person)))
}

// ---- Handing the site over ----

async fn open_heir(state: &AppState, me: &Staff, id: i64) -> AppResult<User> {
    me.require(Permission::TransferOwnership)?;
    let person = open_person(state, me, id).await?;
    if person.role() != Role::Admin || person.status() != Status::Active {
        return Err(AppError::BadRequest(
            "Ownership can only go to an active administrator. Make them one first.".into(),
        ));
    }
    Ok(person)
}

pub async fn confirm_transfer(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let heir = open_heir(&state, &me, id.into_inner()).await?;
    confirm::ask(
        &state,
        &me,
        Question {
            heading: format!("Make {} the owner?", heir.display_name),
            explanation: vec![
                format!(
                    "{} becomes the site's owner, with every permission, including this one.",
                    heir.display_name
                ),
                "You become an administrator. Only the new owner can give ownership back.".into(),
            ],
            action: format!("/admin/people/{}/transfer", heir.id),
            hidden: Vec::new(),
            button: "Hand over ownership".into(),
            cancel: format!("/admin/people/{}", heir.id),
        },
    )
    .await
}

pub async fn transfer(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    let heir = open_heir(&state, &me, id.into_inner()).await?;
    let (owner, heir_id, actor) = (me.user().id, heir.id, Actor::of(me.user()));
    let summary = heir.display_name.clone();
    state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                users::transfer_ownership(conn, owner, heir_id, now())?;
                let object = (Object::User, Some(heir_id));
                audit::record(conn, &actor, "handed ownership to", object, &summary, now())
            })
        })
        .await?;
    set_notice(
        &me.0.session,
        &format!(
            "{} is now the owner; you are an administrator.",
            heir.display_name
        ),
    );
    Ok(see_other("/admin/staff"))
}

// ---- Members ----

#[derive(Template)]
#[template(path = "admin/members.html")]
struct MembersPage {
    layout: Layout,
    notice: Option<String>,
    csrf: String,
    text: String,
    members: Vec<MemberView>,
    newer_url: Option<String>,
    older_url: Option<String>,
    fields: Vec<Field>,
}

struct MemberView {
    id: i64,
    name: String,
    email: String,
    status: String,
    joined: DateView,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MembersParams {
    q: String,
    page: String,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct NewMemberForm {
    email: String,
    display_name: String,
}

async fn members_page(
    state: &AppState,
    me: &Staff,
    (text, page): (String, i64),
    form: &NewMemberForm,
    errors: &Errors,
) -> AppResult<MembersPage> {
    let query = text.clone();
    let (settings, (members, more)) = state
        .db
        .run(move |conn| {
            Ok::<_, AppError>((
                crate::domain::settings::current(conn, now())?,
                users::members(conn, &query, page, PER_PAGE)?,
            ))
        })
        .await?;
    let url = |page: i64| {
        let mut pairs = url::form_urlencoded::Serializer::new(String::new());
        if !text.is_empty() {
            pairs.append_pair("q", &text);
        }
        pairs.append_pair("page", &page.to_string());
        format!("/admin/members?{}", pairs.finish())
    };
    Ok(MembersPage {
        layout: layout(state, "/admin/members", "Members").await?,
        notice: take_notice(&me.0.session),
        csrf: csrf::token(&me.0.session)?,
        members: members
            .into_iter()
            .map(|m| MemberView {
                id: m.id,
                joined: DateView::new(m.created_at, settings.timezone),
                name: m.display_name,
                email: m.email,
                status: m.status.to_string(),
            })
            .collect(),
        newer_url: (page > 1).then(|| url(page - 1)),
        older_url: more.then(|| url(page + 1)),
        fields: vec![
            Field::email("email", "Email")
                .value(&form.email)
                .error(errors.get("email")),
            Field::display_name()
                .value(&form.display_name)
                .error(errors.get("display_name")),
        ],
        text,
    })
}

pub async fn list_members(
    state: web::Data<AppState>,
    me: Staff,
    params: web::Query<MembersParams>,
) -> AppResult<HttpResponse> {
    me.require(Permission::ManageMembers)?;
    let text: String = params.q.trim().chars().take(200).collect();
    let page = crate::web::public::optional_page(&params.page)?;
    let form = NewMemberForm::default();
    ok(&members_page(&state, &me, (text, page), &form, &Errors::default()).await?)
}

/// Adds a member by invitation: they choose their own password from the mailed link.
pub async fn create_member(
    state: web::Data<AppState>,
    me: Staff,
    CsrfForm(form): CsrfForm<NewMemberForm>,
) -> AppResult<HttpResponse> {
    me.require(Permission::ManageMembers)?;
    let mut errors = Errors::default();
    let email = errors.check("email", Email::parse(&form.email));
    let name = errors.check(
        "display_name",
        users::parse_display_name(&form.display_name),
    );
    if let Some(email) = &email {
        let lookup = email.clone();
        let taken = state
            .db
            .run(move |conn| users::by_email(conn, &lookup))
            .await?
            .is_some();
        if taken {
            errors.add("email", "Someone with this address already has an account.");
        }
    }
    let (Some(email), Some(name), true) = (email, name, errors.is_empty()) else {
        let page = members_page(&state, &me, (String::new(), 1), &form, &errors).await?;
        return invalid(&page);
    };
    let (inviter, actor) = (me.user().display_name.clone(), Actor::of(me.user()));
    let added = email.as_str().to_string();
    write_and_mail(&state, move |conn, head| {
        let new = NewUser {
            status: Status::Pending,
            email,
            display_name: name,
            role: Role::Member,
            bio: String::new(),
            website: String::new(),
            password_hash: None,
        };
        let user = users::create(conn, new, head.now)?;
        let token = tokens::issue(conn, user.id, Purpose::Invite, "", head.now)?;
        let summary = format!("{} ({})", user.display_name, user.email);
        audit::record(
            conn,
            &actor,
            "added",
            (Object::User, Some(user.id)),
            &summary,
            head.now,
        )?;
        Ok(vec![messages::invitation(
            head,
            &user.email,
            &inviter,
            "a member",
            &token,
        )])
    })
    .await?;
    set_notice(&me.0.session, &format!("{added} was invited to join."));
    Ok(see_other("/admin/members"))
}
