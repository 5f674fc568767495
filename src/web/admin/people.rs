//! People: one page per account, where staff with the right role change a person's name,
//! address, role and status, remove them, or (the owner) hand the site over; and the members'
//! list with search, pagination and adding a member by invitation.

use crate::web::admin::frame::admin_layout;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::csrf::{self, CsrfForm};
use crate::auth::identity::Staff;
use crate::auth::permissions::Permission;
use crate::clock::now;
use crate::domain::input::search_text;
use crate::domain::people::{self, PersonInput};
use crate::domain::posts;
use crate::domain::users::{self, MemberOrder, Role, Status, User};
use crate::domain::write::WriteError;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::admin::confirm::{self, Question};
use crate::web::admin::listing::{Column, Shelf, SortKey, columns};
use crate::web::forms::{Empty, Errors, Field};
use crate::web::pager::{Pagination, page_param, query_url};
use crate::web::respond::{invalid, ok, see_other, set_notice, take_notice, use_case};
use crate::web::views::{DateView, Layout};

const PER_PAGE: i64 = 50;

/// Loads a person whose page `me` may see: staff for those who manage staff, members for
/// those who manage members.
async fn open_person(state: &AppState, me: &Staff, id: i64) -> AppResult<User> {
    let person = state
        .db
        .run(move |conn| users::by_id(conn, id))
        .await?
        .ok_or(AppError::NotFound)?;
    me.require(if person.role == Role::Member {
        Permission::ManageMembers
    } else {
        Permission::ManageStaff
    })?;
    Ok(person)
}

/// The list a person's page goes back to.
fn list_of(person: &User) -> &'static str {
    if person.role == Role::Member {
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
    /// Why this account cannot be changed here, if it cannot.
    fixed: Option<String>,
    joined: DateView,
    post_count: i64,
    can_remove: bool,
    can_receive_ownership: bool,
    /// The account has no password yet (brought in by an import): it can be invited.
    can_invite: bool,
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

    fn input(&self) -> PersonInput {
        PersonInput {
            display_name: self.display_name.clone(),
            email: self.email.clone(),
            role: self.role.clone(),
            status: self.status.clone(),
        }
    }
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

/// The form's controls; none when `me` may not change this account.
fn person_fields(me: &Staff, person: &User, form: &PersonForm, errors: &Errors) -> Vec<Field> {
    if people::may_manage(&me.actor(), person).is_err() {
        return Vec::new();
    }
    let mut statuses = vec![
        ("active", "Active"),
        ("suspended", "Suspended: cannot sign in"),
    ];
    if person.status == Status::Pending {
        statuses.insert(0, ("pending", "Pending: has not accepted yet"));
    }
    vec![
        Field::display_name()
            .value(&form.display_name)
            .error(errors.get("display_name")),
        Field::email("email", "Email")
            .value(&form.email)
            .hint("Mail about the account goes here. The old address is told of a change.")
            .error(errors.get("email")),
        Field::new("role", "Role", "select")
            .options(
                people::role_choices(&me.actor(), person)
                    .into_iter()
                    .map(|role| (role.as_str(), role_label(role))),
            )
            .value(&form.role)
            .error(errors.get("role")),
        Field::new("status", "Status", "select")
            .options(statuses)
            .value(&form.status)
            .hint("Suspending ends every session of theirs at once.")
            .error(errors.get("status")),
    ]
}

async fn person_page(
    state: &AppState,
    me: &Staff,
    person: User,
    form: &PersonForm,
    errors: &Errors,
) -> AppResult<PersonPage> {
    let (id, tz_now) = (person.id, now());
    let (post_count, settings, has_password) = state
        .db
        .run(move |conn| {
            Ok::<_, AppError>((
                posts::count_by_author(conn, id)?,
                crate::domain::settings::current(conn, tz_now)?,
                crate::domain::users::password_hash(conn, id)?.is_some(),
            ))
        })
        .await?;
    let manageable = people::may_manage(&me.actor(), &person);
    Ok(PersonPage {
        layout: admin_layout(
            state,
            me,
            &format!("/admin/people/{id}"),
            &person.display_name,
        )
        .await?,
        notice: take_notice(me.session()),
        csrf: csrf::token(me.session())?,
        back: list_of(&person),
        fields: person_fields(me, &person, form, errors),
        joined: DateView::new(person.created_at, settings.timezone),
        post_count,
        can_remove: manageable.is_ok(),
        can_invite: manageable.is_ok() && !has_password,
        fixed: manageable.err().map(|refusal| refusal.to_string()),
        can_receive_ownership: me.role().can(Permission::TransferOwnership)
            && person.role == Role::Admin
            && person.status == Status::Active,
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

pub async fn save_person(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
    CsrfForm(form): CsrfForm<PersonForm>,
) -> AppResult<HttpResponse> {
    let person = open_person(&state, &me, id.into_inner()).await?;
    let (id, actor, input) = (person.id, me.actor(), form.input());
    match use_case(&state, move |conn, head| {
        people::update(conn, head, &actor, id, &input)
    })
    .await?
    {
        Ok(_) => {
            set_notice(me.session(), "Saved.");
            Ok(see_other(&format!("/admin/people/{id}")))
        }
        Err(WriteError::Invalid(errors)) => {
            invalid(&person_page(&state, &me, person, &form, &errors).await?)
        }
        Err(refused) => Err(refused.into()),
    }
}

// ---- Removing someone ----

async fn open_removable(state: &AppState, me: &Staff, id: i64) -> AppResult<User> {
    let person = open_person(state, me, id).await?;
    people::may_manage(&me.actor(), &person)?;
    Ok(person)
}

/// Mails an invitation to choose a password to someone whose account has none.
pub async fn invite_person(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    let person = open_person(&state, &me, id.into_inner()).await?;
    let (actor, id) = (me.actor(), person.id);
    let invited = use_case(&state, move |conn, head| {
        people::invite_existing(conn, head, &actor, id)
    })
    .await??;
    set_notice(
        me.session(),
        &format!(
            "An invitation to choose a password is on its way to {}.",
            invited.email
        ),
    );
    Ok(see_other(&format!("/admin/people/{id}")))
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
    let person = open_person(&state, &me, id.into_inner()).await?;
    let (id, actor) = (person.id, me.actor());
    use_case(&state, move |conn, head| {
        people::remove(conn, &actor, id, head.now)
    })
    .await??;
    set_notice(
        me.session(),
        &format!("{} was removed.", person.display_name),
    );
    Ok(see_other(list_of(&person)))
}

// ---- Handing the site over ----

async fn open_heir(state: &AppState, me: &Staff, id: i64) -> AppResult<User> {
    me.require(Permission::TransferOwnership)?;
    let person = open_person(state, me, id).await?;
    if person.role != Role::Admin || person.status != Status::Active {
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
    let (heir, actor) = (id.into_inner(), me.actor());
    let heir = use_case(&state, move |conn, head| {
        people::hand_over(conn, &actor, heir, head.now)
    })
    .await??;
    set_notice(
        me.session(),
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
    /// The status shown (empty: all), and the order when not the default.
    status: &'static str,
    sort: &'static str,
    shelves: Vec<Shelf>,
    total: i64,
    columns: Vec<Column>,
    members: Vec<MemberView>,
    pagination: Pagination,
    fields: Vec<Field>,
}

/// The members' list orders: newest first (the default), or by name.
const MEMBER_SORTS: [SortKey; 2] = [
    SortKey::new("joined", "Joined", false),
    SortKey::new("name", "Name", true),
];

/// Which members the list shows.
struct MemberListing {
    text: String,
    status: Option<Status>,
    sort: SortKey,
    page: i64,
}

impl MemberListing {
    fn first() -> MemberListing {
        MemberListing {
            text: String::new(),
            status: None,
            sort: MEMBER_SORTS[0],
            page: 1,
        }
    }
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
    status: String,
    sort: String,
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
    listing: MemberListing,
    form: &NewMemberForm,
    errors: &Errors,
) -> AppResult<MembersPage> {
    let (query, status, page) = (listing.text.clone(), listing.status, listing.page);
    let order = match listing.sort.key {
        "name" => MemberOrder::Name,
        _ => MemberOrder::Joined,
    };
    let (settings, (members, total), counts) = state
        .db
        .run(move |conn| {
            Ok::<_, AppError>((
                crate::domain::settings::current(conn, now())?,
                users::members(conn, (&query, status, order), page, PER_PAGE)?,
                users::member_counts(conn, &query)?,
            ))
        })
        .await?;
    let status_param = listing.status.map(Status::as_str).unwrap_or_default();
    let sort = listing.sort.param(&MEMBER_SORTS);
    let text = listing.text.as_str();
    let all: i64 = counts.iter().map(|(_, n)| n).sum();
    let mut shelves = vec![Shelf {
        label: "All".into(),
        url: query_url("/admin/members", &[("q", text), ("sort", sort)], 1),
        count: all,
        current: listing.status.is_none(),
    }];
    shelves.extend(counts.iter().map(|&(shelf, count)| Shelf {
        label: shelf.to_string(),
        url: query_url(
            "/admin/members",
            &[("q", text), ("status", shelf.as_str()), ("sort", sort)],
            1,
        ),
        count,
        current: listing.status == Some(shelf),
    }));
    let filters = [("q", text), ("status", status_param)];
    let headers = [
        ("Name", Some(MEMBER_SORTS[1])),
        ("Email", None),
        ("Status", None),
        ("Joined", Some(MEMBER_SORTS[0])),
    ];
    Ok(MembersPage {
        layout: admin_layout(state, me, "/admin/members", "Members").await?,
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
        columns: columns(
            "/admin/members",
            &filters,
            &headers,
            &MEMBER_SORTS,
            listing.sort,
        ),
        pagination: Pagination::by_query(
            "/admin/members",
            &[("q", text), ("status", status_param), ("sort", sort)],
            page,
            page * PER_PAGE < total,
        )
        .counting(total, PER_PAGE),
        fields: vec![
            Field::email("email", "Email")
                .value(&form.email)
                .error(errors.get("email")),
            Field::display_name()
                .value(&form.display_name)
                .error(errors.get("display_name")),
        ],
        shelves,
        total,
        status: status_param,
        sort,
        text: listing.text,
    })
}

pub async fn list_members(
    state: web::Data<AppState>,
    me: Staff,
    params: web::Query<MembersParams>,
) -> AppResult<HttpResponse> {
    me.require(Permission::ManageMembers)?;
    let status = match params.status.as_str() {
        "" => None,
        raw => Some(
            Status::parse(raw)
                .ok_or_else(|| AppError::BadRequest("Choose a status from the list.".into()))?,
        ),
    };
    let listing = MemberListing {
        text: search_text(&params.q, 200).map_err(AppError::BadRequest)?,
        status,
        sort: SortKey::pick(&MEMBER_SORTS, &params.sort),
        page: page_param(&params.page)?,
    };
    let form = NewMemberForm::default();
    ok(&members_page(&state, &me, listing, &form, &Errors::default()).await?)
}

/// Adds a member by invitation: they choose their own password from the mailed link.
pub async fn create_member(
    state: web::Data<AppState>,
    me: Staff,
    CsrfForm(form): CsrfForm<NewMemberForm>,
) -> AppResult<HttpResponse> {
    me.require(Permission::ManageMembers)?;
    let actor = me.actor();
    let (email, name) = (form.email.clone(), form.display_name.clone());
    let added = match use_case(&state, move |conn, head| {
        people::invite(conn, head, &actor, &email, Some(&name), "member")
    })
    .await?
    {
        Ok(user) => user.email,
        Err(WriteError::Invalid(errors)) => {
            let page = members_page(&state, &me, MemberListing::first(), &form, &errors).await?;
            return invalid(&page);
        }
        Err(refused) => return Err(refused.into()),
    };
    set_notice(&me.0.session, &format!("{added} was invited to join."));
    Ok(see_other("/admin/members"))
}
