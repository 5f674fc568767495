//! People as staff manage them: inviting staff and members, changing someone's name,
//! address, role and status, removing an account, handing the site over, and the accounts
//! made before there is anyone to manage (the owner at set-up, `quire create-user`).
//!
//! The rule of standing: nobody changes anything about a person of equal or higher standing
//! (their address, password, role, status, or their account at all). The owner stands above
//! everyone; administrators manage editors and below and members; everyone changes their own
//! account only from their account page, and the owner's address only through the
//! confirmed-address flow there. Any change of address is told to the old address.

use chrono::NaiveDateTime;

use crate::auth::permissions::Permission;
use crate::db::DbConn;
use crate::domain::accounts::user_error;
use crate::domain::audit::Object;
use crate::domain::changes::Touched;
use crate::domain::input::FieldErrors;
use crate::domain::settings;
use crate::domain::tokens::{self, Purpose};
use crate::domain::users::{self, Changes, Email, NewUser, Role, Status, User};
use crate::domain::webhooks::{self, Event};
use crate::domain::write::{self, Actor, Tx, WriteError};
use crate::mail::{Letterhead, messages};

/// Refuses unless `actor` may manage `person` at all (see the module's comment).
pub fn may_manage(actor: &Actor, person: &User) -> Result<(), WriteError> {
    if actor.is(person.id) {
        return Err(WriteError::Forbidden(
            "Change your own account from your account page.".into(),
        ));
    }
    let permission = if person.role == Role::Member {
        Permission::ManageMembers
    } else {
        Permission::ManageStaff
    };
    actor.require(permission, "manage this account")?;
    if person.role == Role::Owner {
        return Err(WriteError::Forbidden(
            "Nobody can change the owner's account here: the owner changes it from their account page."
                .into(),
        ));
    }
    if !actor.role.outranks(person.role) {
        return Err(WriteError::Forbidden(
            "Only the owner can change the account of an administrator.".into(),
        ));
    }
    Ok(())
}

/// The roles `actor` may give `person`: what they have now, members (for those who manage
/// staff) and the staff roles the actor may assign.
pub fn role_choices(actor: &Actor, person: &User) -> Vec<Role> {
    Role::ALL
        .iter()
        .copied()
        .filter(|role| {
            *role == person.role
                || (*role == Role::Member && actor.can(Permission::ManageStaff))
                || actor.role.can_assign(*role)
        })
        .collect()
}

/// A person's details as the admin's form sends them.
#[derive(Debug, Clone, Default)]
pub struct PersonInput {
    pub display_name: String,
    pub email: String,
    pub role: String,
    pub status: String,
}

/// Saves a manager's changes to someone's account.
pub fn update(
    conn: &mut DbConn,
    head: &Letterhead,
    actor: &Actor,
    id: i64,
    input: &PersonInput,
) -> Result<User, WriteError> {
    write::transaction(conn, actor, head.now, |tx| {
        let person = users::by_id(tx.conn, id)?.ok_or(WriteError::NotFound)?;
        may_manage(actor, &person)?;
        let changes = parse(actor, &person, input)?;
        if let Some((other, _)) = users::by_email(tx.conn, &changes.email)?
            && other.id != id
        {
            return Err(WriteError::invalid(
                "email",
                "Another account already uses this address.",
            ));
        }
        let now = tx.now;
        users::apply_changes(tx.conn, id, &changes, now).map_err(user_error)?;
        let email_changed = !changes.email.as_str().eq_ignore_ascii_case(&person.email);
        if email_changed {
            // Links mailed to the old address must not open the account now.
            tokens::revoke_all(tx.conn, id)?;
            tx.mail(&messages::email_changed_by_staff(
                head,
                &person.email,
                changes.email.as_str(),
                &actor.name,
            ))?;
            if changes.status == Status::Pending {
                let token = tokens::issue(tx.conn, id, Purpose::Invite, "", now)?;
                let role = changes.role.as_str();
                tx.mail(&messages::invitation(
                    head,
                    changes.email.as_str(),
                    &actor.name,
                    role,
                    &token,
                ))?;
            }
        }
        let (verb, summary) = describe(&person, &changes);
        tx.audit(verb, (Object::User, Some(id)), &summary)?;
        let public = person.role.is_staff() || changes.role.is_staff();
        if public && (changes.display_name != person.display_name || changes.role != person.role) {
            tx.touch(Touched::Author(id));
            tx.touch(Touched::Listings);
        }
        let updated = users::by_id(tx.conn, id)?.ok_or(WriteError::NotFound)?;
        member_told(tx, Event::MemberChanged, Some(&updated), Some(&person))?;
        Ok(updated)
    })
}

/// Tells the webhooks listening that a member's account changed. Staff accounts are not
/// members: a change that leaves no member on either side tells no one.
pub fn member_told(
    tx: &mut Tx<'_>,
    event: Event,
    current: Option<&User>,
    previous: Option<&User>,
) -> Result<(), WriteError> {
    let member = |user: Option<&User>| user.is_some_and(|u| u.role == Role::Member);
    if !(member(current) || member(previous)) || !webhooks::listening(tx.conn, &[event])? {
        return Ok(());
    }
    let snapshot = |user: &User| {
        serde_json::json!({
            "id": user.id,
            "name": user.display_name,
            "email": user.email,
            "role": user.role.as_str(),
            "status": user.status.as_str(),
            "website": user.website,
            "created_at": crate::clock::moment(user.created_at),
            "updated_at": crate::clock::moment(user.updated_at),
        })
    };
    let (current, previous) = (current.map(snapshot), previous.map(snapshot));
    webhooks::emit_change(tx, event, "member", current, previous)
}

/// The one parser for the admin's person form, checked against what `actor` may do.
fn parse(actor: &Actor, person: &User, input: &PersonInput) -> Result<Changes, WriteError> {
    let mut errors = FieldErrors::default();
    let display_name = errors.check(
        "display_name",
        users::parse_display_name(&input.display_name),
    );
    let email = errors.check("email", Email::parse(&input.email));
    let role = match Role::parse(input.role.trim()) {
        Some(role) if role_choices(actor, person).contains(&role) => Some(role),
        // A role the form never offered is a forged form, refused outright.
        Some(_) => return Err(WriteError::forbidden("give that role")),
        None => {
            errors.add("role", "Choose one of the roles listed.");
            None
        }
    };
    let status = match Status::parse(input.status.trim()) {
        Some(Status::Pending) if person.status != Status::Pending => None,
        other => other,
    };
    if status.is_none() {
        errors.add("status", "Choose one of the statuses listed.");
    }
    match (display_name, email, role, status) {
        (Some(display_name), Some(email), Some(role), Some(status)) if errors.is_empty() => {
            Ok(Changes {
                display_name,
                email,
                role,
                status,
            })
        }
        _ => Err(WriteError::Invalid(errors)),
    }
}

/// The audit log's verb for a change, and every field it changed, old and new.
fn describe(person: &User, changes: &Changes) -> (&'static str, String) {
    let mut changed = Vec::new();
    if changes.display_name != person.display_name {
        changed.push(format!(
            "name: {} → {}",
            person.display_name, changes.display_name
        ));
    }
    if !changes.email.as_str().eq_ignore_ascii_case(&person.email) {
        changed.push(format!(
            "email: {} → {}",
            person.email,
            changes.email.as_str()
        ));
    }
    if changes.role != person.role {
        changed.push(format!("role: {} → {}", person.role, changes.role));
    }
    if changes.status != person.status {
        changed.push(format!("status: {} → {}", person.status, changes.status));
    }
    let verb = match (person.status, changes.status) {
        (before, Status::Suspended) if before != Status::Suspended => "suspended",
        (Status::Suspended, Status::Active) => "reinstated",
        _ if changes.role != person.role => "changed the role of",
        _ if !changes.email.as_str().eq_ignore_ascii_case(&person.email) => "changed the email of",
        _ => "updated",
    };
    let summary = match changed.is_empty() {
        true => format!("{}: nothing changed", changes.display_name),
        false => format!("{}: {}", changes.display_name, changed.join("; ")),
    };
    (verb, summary)
}

/// Invites someone to join with `role` (a member of staff, or a member): a pending account
/// and a mailed link with which they choose their name and password.
pub fn invite(
    conn: &mut DbConn,
    head: &Letterhead,
    actor: &Actor,
    email: &str,
    display_name: Option<&str>,
    role: &str,
) -> Result<User, WriteError> {
    let mut errors = FieldErrors::default();
    let email = errors.check("email", Email::parse(email));
    let name = match display_name {
        Some(name) => errors.check("display_name", users::parse_display_name(name)),
        None => email.as_ref().map(|e| {
            e.as_str()
                .split('@')
                .next()
                .unwrap_or("New colleague")
                .to_string()
        }),
    };
    let role = match Role::parse(role.trim()) {
        Some(Role::Member) => {
            actor.require(Permission::ManageMembers, "add members")?;
            Some(Role::Member)
        }
        Some(role) if actor.role.can_assign(role) => Some(role),
        _ => {
            actor.require(Permission::ManageStaff, "invite staff")?;
            errors.add("role", "Choose one of the roles listed.");
            None
        }
    };
    let (Some(email), Some(name), Some(role), true) = (email, name, role, errors.is_empty()) else {
        return Err(WriteError::Invalid(errors));
    };
    write::transaction(conn, actor, head.now, |tx| {
        if users::by_email(tx.conn, &email)?.is_some() {
            return Err(WriteError::invalid(
                "email",
                "Someone with this address already has an account.",
            ));
        }
        let now = tx.now;
        let user = users::create(
            tx.conn,
            NewUser {
                status: Status::Pending,
                email,
                display_name: name,
                role,
                bio: String::new(),
                website: String::new(),
                password_hash: None,
            },
            now,
        )
        .map_err(user_error)?;
        let token = tokens::issue(tx.conn, user.id, Purpose::Invite, "", now)?;
        let what = if role == Role::Member {
            "a member"
        } else {
            role.as_str()
        };
        tx.mail(&messages::invitation(
            head,
            &user.email,
            &actor.name,
            what,
            &token,
        ))?;
        let summary = format!("{} ({}) as {role}", user.display_name, user.email);
        tx.audit("invited", (Object::User, Some(user.id)), &summary)?;
        Ok(user)
    })
}

/// Invites someone whose account has no password yet (an author brought in by an import)
/// to choose one: the same mailed invitation as a new colleague's, for the account as it is.
pub fn invite_existing(
    conn: &mut DbConn,
    head: &Letterhead,
    actor: &Actor,
    id: i64,
) -> Result<User, WriteError> {
    write::transaction(conn, actor, head.now, |tx| {
        let person = users::by_id(tx.conn, id)?.ok_or(WriteError::NotFound)?;
        may_manage(actor, &person)?;
        if person.role == Role::Member {
            actor.require(Permission::ManageMembers, "invite members")?;
        } else {
            actor.require(Permission::ManageStaff, "invite staff")?;
        }
        if users::password_hash(tx.conn, id)?.is_some() {
            return Err(WriteError::Forbidden(
                "This person has a password already; they can reset it from the sign-in page."
                    .into(),
            ));
        }
        let token = tokens::issue(tx.conn, id, Purpose::Invite, "", tx.now)?;
        let what = if person.role == Role::Member {
            "a member"
        } else {
            person.role.as_str()
        };
        tx.mail(&messages::invitation(
            head,
            &person.email,
            &actor.name,
            what,
            &token,
        ))?;
        let summary = format!(
            "{} ({}) to choose a password",
            person.display_name, person.email
        );
        tx.audit("invited", (Object::User, Some(id)), &summary)?;
        Ok(person)
    })
}

/// Removes someone's account, crediting their posts to the actor.
pub fn remove(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    now: NaiveDateTime,
) -> Result<User, WriteError> {
    let heir = actor.id.ok_or_else(|| {
        WriteError::Forbidden("Removing an account needs someone to credit its posts to.".into())
    })?;
    remove_crediting(conn, actor, id, heir, now)
}

/// Removes someone's account, crediting their posts to `heir` (for actors who are nobody,
/// such as an integration: the owner).
pub fn remove_crediting(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    heir: i64,
    now: NaiveDateTime,
) -> Result<User, WriteError> {
    if heir == id {
        return Err(WriteError::Forbidden(
            "An account's posts cannot be credited to itself.".into(),
        ));
    }
    write::transaction(conn, actor, now, |tx| {
        let person = users::by_id(tx.conn, id)?.ok_or(WriteError::NotFound)?;
        may_manage(actor, &person)?;
        crate::domain::comments::write::erase_author(tx, id)?;
        crate::domain::likes::forget_member(tx, id)?;
        users::remove(tx.conn, id, heir)?;
        let summary = format!("{} ({})", person.display_name, person.email);
        tx.audit("removed", (Object::User, Some(id)), &summary)?;
        if person.role.is_staff() {
            touch_authors(tx, &[id, heir]);
        }
        member_told(tx, Event::MemberDeleted, None, Some(&person))?;
        Ok(person)
    })
}

fn touch_authors(tx: &mut Tx<'_>, ids: &[i64]) {
    for id in ids {
        tx.touch(Touched::Author(*id));
    }
    tx.touch(Touched::Listings);
}

/// The owner hands the site to an active administrator, and becomes an administrator.
pub fn hand_over(
    conn: &mut DbConn,
    actor: &Actor,
    heir_id: i64,
    now: NaiveDateTime,
) -> Result<User, WriteError> {
    actor.require(Permission::TransferOwnership, "hand the site over")?;
    let owner = actor.id.ok_or(WriteError::NotFound)?;
    write::transaction(conn, actor, now, |tx| {
        let heir = users::by_id(tx.conn, heir_id)?.ok_or(WriteError::NotFound)?;
        if heir.role != Role::Admin || heir.status != Status::Active {
            return Err(WriteError::invalid(
                "heir",
                "Ownership can only go to an active administrator. Make them one first.",
            ));
        }
        users::transfer_ownership(tx.conn, owner, heir_id, now)?;
        tx.audit(
            "handed ownership to",
            (Object::User, Some(heir_id)),
            &heir.display_name,
        )?;
        Ok(heir)
    })
}

/// What the first-run setup asks for: the owner's account, the site's title and
/// description, and whether to start with the demo publication.
pub struct SetUp {
    pub email: Email,
    pub display_name: String,
    pub password_hash: String,
    pub title: String,
    pub description: String,
    pub demo: bool,
    /// The caller checked the setup key, so a site with accounts (an import's) but no owner
    /// may be claimed; without it only a site with nobody on it may.
    pub claims_accounts: bool,
}

/// What setting up did: the owner, and whether the demo content went in (only into a site
/// with nothing of its own yet).
pub struct SetUpDone {
    pub owner: User,
    pub demo_added: bool,
}

/// The site's first account, the owner, with the site's title and description and, if
/// asked, the demo content: all in one transaction, and only while there is no owner.
pub fn set_up(
    conn: &mut DbConn,
    setup: SetUp,
    now: NaiveDateTime,
) -> Result<SetUpDone, WriteError> {
    write::transaction(conn, &Actor::visitor(), now, |tx| {
        // Checked inside the transaction: two racing set-ups make one owner.
        if users::owner_exists(tx.conn)? {
            return Err(WriteError::NotFound);
        }
        if !setup.claims_accounts && users::count(tx.conn)? > 0 {
            return Err(WriteError::Forbidden(
                "This site has accounts already: setting it up needs the key from the server's log."
                    .into(),
            ));
        }
        // Before the owner exists: the demo goes only into a site with no people yet.
        let demo_added = setup.demo && crate::content::fill_demo(tx.conn, now)?;
        let owner = match create_account(
            tx,
            setup.email,
            setup.display_name,
            Role::Owner,
            setup.password_hash,
        ) {
            // Another set-up made its owner between the check above and this insert (the
            // database keeps one owner): this one is too late, as if it had seen it.
            Err(WriteError::Database(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                info,
            ))) if info.constraint_name() == Some("users_one_owner")
                || info.message().contains("users.role") =>
            {
                return Err(WriteError::NotFound);
            }
            created => created?,
        };
        tx.audit(
            "set up the site as",
            (Object::User, Some(owner.id)),
            &owner.display_name,
        )?;
        let mut settings =
            settings::load(tx.conn)?.unwrap_or_else(|| settings::SiteSettings::defaults(now));
        settings.title = setup.title;
        settings.description = setup.description;
        settings.updated_at = now;
        settings::save_row(tx.conn, &settings)?;
        tx.touch(Touched::Site);
        Ok(SetUpDone { owner, demo_added })
    })
}

/// An account made from the command line (`quire create-user`): active at once. There is
/// only ever one owner: a second is refused.
pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    email: Email,
    display_name: String,
    role: Role,
    password_hash: String,
    now: NaiveDateTime,
) -> Result<User, WriteError> {
    write::transaction(conn, actor, now, |tx| {
        if users::by_email(tx.conn, &email)?.is_some() {
            return Err(user_error(users::UserError::EmailTaken));
        }
        if role == Role::Owner && users::owner_exists(tx.conn)? {
            return Err(WriteError::invalid(
                "role",
                "the site has an owner already; the owner can hand the site over from the admin",
            ));
        }
        let user = create_account(tx, email, display_name, role, password_hash)?;
        let summary = format!("{} ({}) as {role}", user.display_name, user.email);
        tx.audit(
            "created the account of",
            (Object::User, Some(user.id)),
            &summary,
        )?;
        member_told(tx, Event::MemberAdded, Some(&user), None)?;
        Ok(user)
    })
}

fn create_account(
    tx: &mut Tx<'_>,
    email: Email,
    display_name: String,
    role: Role,
    password_hash: String,
) -> Result<User, WriteError> {
    let now = tx.now;
    users::create(
        tx.conn,
        NewUser {
            status: Status::Active,
            email,
            display_name,
            role,
            bio: String::new(),
            website: String::new(),
            password_hash: Some(password_hash),
        },
        now,
    )
    .map_err(user_error)
}
